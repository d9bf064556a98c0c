CREATE TABLE "export_chunks" (
	"request_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"key_id" text NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "export_chunks_request_id_seq_pk" PRIMARY KEY("request_id","seq")
);
--> statement-breakpoint
ALTER TABLE "data_requests" ADD COLUMN "archive_bytes" bigint;--> statement-breakpoint
ALTER TABLE "export_chunks" ADD CONSTRAINT "export_chunks_request_id_data_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."data_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_requests" DROP COLUMN "file_path";
