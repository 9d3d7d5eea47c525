import type { ColumnType, Generated, Insertable, RawBuilder, Selectable, Updateable } from "kysely";

/** Timestamps come back as Date from both drivers and accept Date or ISO strings on write. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** Defaults on insert, settable on update. */
/** jsonb columns are written through db/json.ts so both drivers store the same value. */
type Json = ColumnType<unknown, RawBuilder<unknown>, RawBuilder<unknown>>;
type JsonOrNull = ColumnType<unknown, RawBuilder<unknown> | null, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export type Role = "owner" | "admin" | "viewer";

export interface UsersTable {
  id: Generated<string>;
  email: string;
  password_hash: string;
  created_at: CreatedAt;
  /** A reset link or a pending sign-in made before this is dead. */
  password_changed_at: UpdatedAt;
  /** The TOTP secret once two-factor sign-in is on, sealed (server/auth/secret-box.ts); null when it is off. */
  totp_secret: string | null;
  /** The secret shown while two-factor sign-in is being set up, until a first code confirms it (sealed too). */
  totp_pending_secret: string | null;
  /** The last TOTP time step a code was accepted for: no code is accepted twice. */
  totp_last_step: Generated<number>;
  /** When the owner proved they read mail at `email` (null: not yet; no mail goes out on the account's behalf). */
  email_confirmed_at: Date | null;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the token; the token itself lives only in the cookie. */
  id: string;
  user_id: string;
  expires_at: Timestamp;
  created_at: CreatedAt;
  user_agent: Generated<string>;
  last_seen_at: UpdatedAt;
}

export interface PasswordResetsTable {
  /** SHA-256 (hex) of the link's token. */
  token_hash: string;
  user_id: string;
  expires_at: Timestamp;
  created_at: CreatedAt;
}

export interface RecoveryCodesTable {
  user_id: string;
  /** SHA-256 (hex) of the code as shown, without its dash. */
  code_hash: string;
  used_at: Timestamp | null;
}

export interface ApiKeysTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  key_hash: string;
  prefix: string;
  integration: Generated<boolean>;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface SitesTable {
  id: Generated<string>;
  domain: string;
  timezone: string;
  created_at: CreatedAt;
  /** Bumped whenever finished days are rewritten: columnar copies of the site then rebuild. */
  stats_version: Generated<number>;
  /** Dashboards add the days of completed imports (admins can switch it off). */
  include_imported: Generated<boolean>;
}

export interface SiteMembershipsTable {
  site_id: string;
  user_id: string;
  role: Role;
  created_at: CreatedAt;
}

/** A pending invitation to a site; deleted once accepted or revoked. */
export interface SiteInvitationsTable {
  id: Generated<string>;
  site_id: string;
  email: string;
  role: Exclude<Role, "owner">;
  /** SHA-256 of the link's token; the token is only in the mail (or shown once to the admin). */
  token_hash: string;
  invited_by: string;
  created_at: CreatedAt;
  /** When the last mail went out; null while mail is off. */
  sent_at: Date | null;
  expires_at: Date;
}

export interface SegmentsTable {
  id: Generated<string>;
  site_id: string;
  name: string;
  filters: Json;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface SharedLinksTable {
  id: Generated<string>;
  site_id: string;
  name: string;
  slug: string;
  password_hash: string | null;
  password_changed_at: Timestamp | null;
  segment_id: string | null;
  integration: Generated<boolean>;
  view_count: Generated<number>;
  last_viewed_at: Timestamp | null;
  failed_unlock_count: Generated<number>;
  last_failed_unlock_at: Timestamp | null;
  expires_at: Timestamp | null;
  paused_at: Timestamp | null;
  resumed_at: Timestamp | null;
  /** Site-local days, "YYYY-MM-DD". Both set: a fixed period; only `bounds_from`: nothing earlier. */
  bounds_from: string | null;
  bounds_to: string | null;
  /** Null shows every section. */
  visible_sections: ColumnType<unknown, RawBuilder<unknown> | null, RawBuilder<unknown> | null>;
  allow_period_change: Generated<boolean>;
  allow_filters: Generated<boolean>;
  allow_export: Generated<boolean>;
  /** Origins allowed to frame the embed; null: any. */
  embed_origins: ColumnType<unknown, RawBuilder<unknown> | null, RawBuilder<unknown> | null>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface LinkUsageDailyTable {
  link_id: string;
  /** Site-local day. */
  day: string;
  views: Generated<number>;
}

export interface LinkViewersTable {
  link_id: string;
  day: string;
  /** A hash of the day's salt, the link and the viewer's address and browser: no address is kept. */
  viewer: number;
}

export interface LinkFailedUnlocksTable {
  link_id: string;
  /** The start of the hour. */
  hour: Timestamp;
  failures: number;
}

export interface LinkAuditTable {
  id: Generated<number>;
  link_id: string;
  site_id: string;
  actor_user_id: string | null;
  action: "create" | "update" | "delete";
  /** Snapshots without secrets: the password appears only as a boolean. */
  before: JsonOrNull;
  after: JsonOrNull;
  created_at: CreatedAt;
}

export type DigestFrequency = "weekly" | "monthly";

export interface LinkDigestsTable {
  link_id: string;
  frequency: DigestFrequency;
  /** When the schedule was set or changed: periods that ended before it are not sent. */
  since: UpdatedAt;
}

export interface DigestRecipientsTable {
  id: Generated<string>;
  link_id: string;
  email: string;
  name: Generated<string>;
  /** The bearer secret of the recipient's unsubscribe link. */
  unsubscribe_token: string;
  created_at: CreatedAt;
  unsubscribed_at: Timestamp | null;
  /** Null while the recipient has not confirmed: no digest and no preview reaches them. */
  confirmed_at: Timestamp | null;
  /** SHA-256 (base64url) of the token in the confirmation email; the token itself only in that email. */
  confirm_token_hash: string | null;
  /** When the last confirmation email went out (null: none yet, e.g. while mail was off). */
  confirm_sent_at: Timestamp | null;
  confirm_expires_at: Timestamp | null;
  /** The account that added them, for the per-account caps. */
  added_by: string | null;
}

export interface DigestSendsTable {
  recipient_id: string;
  /** The site-local days the digest covers. */
  period_from: string;
  period_to: string;
  /** The schedule it was planned under: a schedule changed since makes it void. */
  frequency: DigestFrequency;
  status: Generated<"pending" | "sent" | "failed" | "skipped">;
  attempts: Generated<number>;
  /** A claimed send belongs to lease_owner until then; after it, any instance may try again. */
  lease_until: Timestamp | null;
  lease_owner: string | null;
  sent_at: Timestamp | null;
  last_error: string | null;
  created_at: CreatedAt;
}

export interface DigestSuppressionsTable {
  link_id: string;
  /** sha256 of the lower-cased address. */
  email_hash: string;
  created_at: CreatedAt;
}

/** Addresses that asked a site's digests to send them nothing (from a confirmation email). */
export interface DigestSiteSuppressionsTable {
  site_id: string;
  /** sha256 of the lower-cased address. */
  email_hash: string;
  created_at: CreatedAt;
}

export interface RateLimitHitsTable {
  key: string;
  bucket: Timestamp;
  hits: number;
}

export interface VisitorSaltsTable {
  day: string;
  salt: string;
  created_at: CreatedAt;
}

export interface EventsTable {
  id: Generated<number>;
  site_id: string;
  ts: Timestamp;
  /** The site-local calendar day of ts: daily salts and daily rollups are keyed by it. */
  day: string;
  name: string;
  pathname: string;
  referrer_source: string;
  referrer: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  country: string;
  device: string;
  browser: string;
  os: string;
  visitor_id: number;
  session_id: number;
  /** First pathname of the visit, copied on every event so entry-page filters need no join. */
  entry_page: string;
  /** Custom properties ({"plan": "pro"}), values as text; null when the event had none. */
  props: ColumnType<Record<string, string> | null, RawBuilder<unknown> | null | undefined, RawBuilder<unknown> | null>;
}

export type GoalKind = "event" | "page";

/** A conversion: a custom event by name, or a pageview whose path matches (`*` matches anything). */
export interface GoalsTable {
  id: Generated<string>;
  site_id: string;
  kind: GoalKind;
  event_name: string | null;
  page_path: string | null;
  name: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** One row per visit (a visitor's events with no gap over 30 minutes), kept up to date on ingestion. */
export interface VisitsTable {
  site_id: string;
  session_id: number;
  visitor_id: number;
  day: string;
  started_at: Timestamp;
  ended_at: Timestamp;
  pageviews: number;
  events: number;
  entry_page: string;
  exit_page: string;
  referrer_source: string;
  referrer: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  country: string;
  device: string;
  browser: string;
  os: string;
}

export interface StatsDayCacheTable {
  site_id: string;
  day: string;
  filter_key: string;
  payload: Json;
  computed_at: CreatedAt;
  used_at: Timestamp;
}

/** Who copies a site's finished days into the shared ClickHouse copy, until when. */
export interface ClickhouseCopyLeasesTable {
  site_id: string;
  holder: string;
  expires_at: Timestamp;
}

export type ImportStatus = "uploading" | "pending" | "running" | "completed" | "failed";

/** An import of Plausible's CSV export: its upload, its job's state, and what it added. */
export interface ImportsTable {
  id: Generated<string>;
  site_id: string;
  source: string;
  file_names: Generated<string>;
  status: Generated<ImportStatus>;
  upload_bytes: Generated<number>;
  /** The days it added (site-local), once known. */
  date_from: string | null;
  date_to: string | null;
  progress: Generated<number>;
  rows_read: Generated<number>;
  pageviews: Generated<number>;
  /** Which days were left out and why, as a sentence ("" when none). */
  skipped: Generated<string>;
  error: string | null;
  attempts: Generated<number>;
  lease_until: Timestamp | null;
  lease_owner: string | null;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  completed_at: Timestamp | null;
}

/** Uploaded files in chunks, kept until the import's job has read them. */
export interface ImportUploadsTable {
  import_id: string;
  file_no: number;
  chunk_no: number;
  name: string;
  data: Uint8Array;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  password_resets: PasswordResetsTable;
  recovery_codes: RecoveryCodesTable;
  api_keys: ApiKeysTable;
  sites: SitesTable;
  site_memberships: SiteMembershipsTable;
  site_invitations: SiteInvitationsTable;
  segments: SegmentsTable;
  shared_links: SharedLinksTable;
  link_audit: LinkAuditTable;
  link_usage_daily: LinkUsageDailyTable;
  link_viewers: LinkViewersTable;
  link_failed_unlocks: LinkFailedUnlocksTable;
  link_digests: LinkDigestsTable;
  digest_recipients: DigestRecipientsTable;
  digest_sends: DigestSendsTable;
  digest_suppressions: DigestSuppressionsTable;
  digest_site_suppressions: DigestSiteSuppressionsTable;
  rate_limit_hits: RateLimitHitsTable;
  visitor_salts: VisitorSaltsTable;
  events: EventsTable;
  visits: VisitsTable;
  stats_day_cache: StatsDayCacheTable;
  clickhouse_copy_leases: ClickhouseCopyLeasesTable;
  goals: GoalsTable;
  imports: ImportsTable;
  import_uploads: ImportUploadsTable;
}

export type User = Selectable<UsersTable>;
export type Site = Selectable<SitesTable>;
export type Segment = Selectable<SegmentsTable>;
export type SharedLink = Selectable<SharedLinksTable>;
export type NewEvent = Insertable<EventsTable>;
export type Goal = Selectable<GoalsTable>;
export type SharedLinkUpdate = Updateable<SharedLinksTable>;
