"""Pure business rules of the 電子保証 service: no Chalice, no boto3."""
