ALTER TABLE "board_columns" ADD COLUMN "send_key" text;--> statement-breakpoint
ALTER TABLE "categories" ADD COLUMN "send_key" text;--> statement-breakpoint
ALTER TABLE "panels" ADD COLUMN "send_key" text;--> statement-breakpoint
ALTER TABLE "tags" ADD COLUMN "send_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "board_columns_send_key_uq" ON "board_columns" USING btree ("guild_id","send_key") WHERE "board_columns"."send_key" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "categories_send_key_uq" ON "categories" USING btree ("guild_id","send_key") WHERE "categories"."send_key" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "panels_send_key_uq" ON "panels" USING btree ("guild_id","send_key") WHERE "panels"."send_key" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "tags_send_key_uq" ON "tags" USING btree ("guild_id","send_key") WHERE "tags"."send_key" is not null;