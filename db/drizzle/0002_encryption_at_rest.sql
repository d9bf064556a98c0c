ALTER TABLE "messages" ALTER COLUMN "attachments" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "attachments" SET DATA TYPE text USING "attachments"::text;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "attachments" SET DEFAULT '[]';--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "embeds" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "embeds" SET DATA TYPE text USING "embeds"::text;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "embeds" SET DEFAULT '[]';--> statement-breakpoint
ALTER TABLE "tickets" ALTER COLUMN "answers" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "tickets" ALTER COLUMN "answers" SET DATA TYPE text USING "answers"::text;--> statement-breakpoint
ALTER TABLE "tickets" ALTER COLUMN "answers" SET DEFAULT '{}';--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "search_terms" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "search_terms" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
CREATE INDEX "messages_search_idx" ON "messages" USING gin ("search_terms");--> statement-breakpoint
CREATE INDEX "tickets_search_idx" ON "tickets" USING gin ("search_terms");