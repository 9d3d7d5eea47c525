import { type Kysely, sql } from "kysely";

/** The sites allowed to frame a link's embed (CSP frame-ancestors); null lets any site frame it. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table shared_links
    add column embed_origins jsonb,
    add constraint shared_links_embed_origins_check
      check (embed_origins is null or jsonb_typeof(embed_origins) = 'array')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table shared_links drop column embed_origins`.execute(db);
}
