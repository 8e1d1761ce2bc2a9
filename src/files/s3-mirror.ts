/**
 * Uploaded files kept in S3-compatible object storage (BLOB_STORE=s3://bucket/prefix), so every node reaches
 * them without a shared volume. The object is the blob exactly as BlobStore writes it on disk (sealed when
 * encryption at rest is on: the bucket never holds plaintext then); DATA_DIR keeps a local copy, fetched on
 * first read where another node uploaded it. The AWS SDK is loaded only when BLOB_STORE is set; credentials
 * come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (through config.ts), else the SDK's chain (profile, role).
 */
import { createReadStream, createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import type { BlobMirror } from "./blob-store.js";

export interface S3Location {
  bucket: string;
  /** Key prefix ("" or ending in "/"). */
  prefix: string;
  /** An S3-compatible server's URL (MinIO, Ceph, …); absent: AWS. */
  endpoint: string | null;
  region: string;
  /** Null: the SDK's own chain (a profile, an instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
}

type S3Sdk = typeof import("@aws-sdk/client-s3");

export class S3Mirror implements BlobMirror {
  private client: Promise<{ sdk: S3Sdk; s3: import("@aws-sdk/client-s3").S3Client }> | null = null;

  constructor(private readonly location: S3Location) {}

  private connect() {
    this.client ??= import("@aws-sdk/client-s3").then((sdk) => ({
      sdk,
      s3: new sdk.S3Client({
        region: this.location.region,
        // Plain bodies: S3-compatible servers other than AWS (MinIO's older releases, s3rver) store an
        // aws-chunked body with its checksum trailer as the object itself.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        // A copy: the SDK marks the object it is given (config's is frozen).
        ...(this.location.credentials ? { credentials: { ...this.location.credentials } } : {}),
        ...(this.location.endpoint ? { endpoint: this.location.endpoint, forcePathStyle: true } : {}),
      }),
    }));
    return this.client;
  }

  /** Files under `<prefix>files/`, beside the vector index at `<prefix>lancedb` (composition/retrieval.ts). */
  private key(fileId: string): string {
    return `${this.location.prefix}files/${fileId}`;
  }

  async upload(fileId: string, file: string): Promise<void> {
    const { sdk, s3 } = await this.connect();
    const { size } = await fs.stat(file);
    await s3.send(new sdk.PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(fileId), Body: createReadStream(file), ContentLength: size }));
  }

  async download(fileId: string, file: string): Promise<boolean> {
    const { sdk, s3 } = await this.connect();
    let body: Readable;
    try {
      body = (await s3.send(new sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(fileId) }))).Body as Readable;
    } catch (err) {
      if ((err as { name?: string }).name === "NoSuchKey") return false;
      throw err;
    }
    await pipeline(body, createWriteStream(file, { mode: 0o600 }));
    return true;
  }

  async delete(fileId: string): Promise<void> {
    const { sdk, s3 } = await this.connect();
    await s3.send(new sdk.DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(fileId) }));
  }

  /** Whether the bucket answers (GET /health's storage check). */
  async reachable(): Promise<void> {
    const { sdk, s3 } = await this.connect();
    await s3.send(new sdk.HeadBucketCommand({ Bucket: this.location.bucket }));
  }
}
