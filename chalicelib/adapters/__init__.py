"""Adapters for AWS: boto3 clients, S3 files, SES mail, Secrets Manager/KMS key material, Cognito identity.

See docs/ARCHITECTURE.md (layers)."""
