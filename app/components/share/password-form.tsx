import { Form, useNavigation } from "@remix-run/react";

/** All a locked link reveals: that it exists and wants a password. No site, no name, no data. */
export function PasswordForm({ error, tooMany }: { error?: string | null; tooMany?: boolean }) {
  const busy = useNavigation().state === "submitting";
  return (
    <main className="share-lock">
      <div className="auth-card">
        <svg className="share-lock__icon" viewBox="0 0 24 24" width="40" height="40" aria-hidden="true" focusable="false">
          <rect x="4" y="10" width="16" height="11" rx="2.5" fill="currentColor" />
          <path d="M8 10V7a4 4 0 0 1 8 0v3" fill="none" stroke="currentColor" strokeWidth="2.2" />
        </svg>
        <h1>This dashboard is password protected</h1>
        <p className="muted">Enter the password you were given to view the stats.</p>
        {error ? (
          <div className={tooMany ? "alert alert-warning" : "alert"} role="alert" id="password-error">
            {error}
            {tooMany ? (
              <p className="small alert-help">
                Passwords are case-sensitive: check Caps Lock and copy it without extra spaces. If it still does not work, ask the
                person who shared this link for the password or a new link.
              </p>
            ) : null}
          </div>
        ) : null}
        <Form method="post" className="form" noValidate>
          <div className="field">
            <label htmlFor="share-password">Password</label>
            <input
              id="share-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              autoFocus
              aria-invalid={error && !tooMany ? true : undefined}
              aria-describedby={`share-password-hint${error ? " password-error" : ""}`}
            />
            <p className="hint" id="share-password-hint">
              Passwords are case-sensitive. Check for extra spaces.
            </p>
          </div>
          <div className="form-actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? "Checking…" : "View dashboard"}
            </button>
          </div>
        </Form>
      </div>
    </main>
  );
}

export function ShareNotFound() {
  return (
    <main className="share-lock">
      <div className="auth-card">
        <p className="error-status">404</p>
        <h1>This shared link does not exist</h1>
        <p className="muted">It may have been deleted, or the address was not copied completely. Ask the person who shared it for a new link.</p>
      </div>
    </main>
  );
}

/** An expired or paused link: what happened, and nothing about the link or its site. */
export function ShareGone({ reason }: { reason: "expired" | "paused" }) {
  const paused = reason === "paused";
  return (
    <main className="share-lock">
      <div className="auth-card">
        <p className="error-status">410</p>
        <h1>{paused ? "This shared link is paused" : "This shared link has expired"}</h1>
        <p className="muted">
          {paused
            ? "Its owner has paused it for now. Ask the person who shared it if you need it again."
            : "It was shared for a limited time, which has ended. Ask the person who shared it for a new link."}
        </p>
      </div>
    </main>
  );
}
