DROP INDEX "messages_guild_idx";--> statement-breakpoint
CREATE INDEX "messages_guild_idx" ON "messages" USING btree ("guild_id","id");