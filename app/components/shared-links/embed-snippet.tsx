import { Link } from "@remix-run/react";
import { CopyButton } from "~/components/copy-button";

/** The iframe and the script that sizes it to the dashboard (public/js/embed.js). */
export function embedSnippet(src: string): string {
  const origin = new URL(src).origin;
  return (
    `<iframe src="${src}" data-glimpse-embed loading="lazy" title="Analytics dashboard" width="100%" height="1600" frameborder="0"></iframe>\n` +
    `<script src="${origin}/js/embed.js" async></script>`
  );
}

/**
 * Open links embed with their URL. Protected ones need a signed embed token (a frame gets no
 * unlock cookie): made on the embed-code page, or by the embedding site's server through the API.
 */
export function EmbedSnippet({ url, protectedLink, embedCodePath }: { url: string; protectedLink: boolean; embedCodePath: string }) {
  const snippet = embedSnippet(`${url}?embed=true&theme=light`);
  return (
    <section className="card" aria-labelledby="embed-title">
      <div className="card-header">
        <h2 id="embed-title">Embed on a website</h2>
        {protectedLink ? null : <CopyButton text={snippet} label="Copy embed code" />}
      </div>
      {protectedLink ? (
        <p className="muted">
          A protected link is embedded with a signed token instead of its password: the token opens it inside the frame for up to 24 hours.{" "}
          <Link to={embedCodePath}>Get embed code</Link>
        </p>
      ) : (
        <>
          <p className="muted">
            Paste this where the dashboard should appear; the script makes the frame as tall as the dashboard. <code>theme</code> can be{" "}
            <code>light</code>, <code>dark</code> or <code>system</code>; add <code>&amp;background=transparent</code> to blend into your page. To
            lock the period or add filters, <Link to={embedCodePath}>make an embed code with a token</Link>.
          </p>
          <pre className="snippet">
            <code>{snippet}</code>
          </pre>
        </>
      )}
    </section>
  );
}
