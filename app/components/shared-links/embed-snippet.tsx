import { CopyButton } from "~/components/copy-button";

/** Embedding is offered for open links only: a protected link inside another site's frame cannot keep its unlock cookie. */
export function EmbedSnippet({ url, protectedLink }: { url: string; protectedLink: boolean }) {
  const snippet = `<iframe src="${url}?embed=true&theme=light" loading="lazy" title="Analytics dashboard" width="100%" height="1600" frameborder="0"></iframe>`;
  return (
    <section className="card" aria-labelledby="embed-title">
      <div className="card-header">
        <h2 id="embed-title">Embed on a website</h2>
        {protectedLink ? null : <CopyButton text={snippet} label="Copy embed code" />}
      </div>
      {protectedLink ? (
        <p className="alert alert-info">
          Password-protected links cannot be embedded. Browsers do not send the unlock cookie to a dashboard inside another site's frame, so
          visitors would be asked for the password again and again. Embed an open link (optionally limited to a segment) instead.
        </p>
      ) : (
        <>
          <p className="muted">
            Paste this where the dashboard should appear. <code>theme</code> can be <code>light</code>, <code>dark</code> or <code>system</code>;
            add <code>&amp;background=transparent</code> to blend into your page.
          </p>
          <pre className="snippet">
            <code>{snippet}</code>
          </pre>
        </>
      )}
    </section>
  );
}
