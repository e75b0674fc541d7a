"""PDF documents of the service: the certificate (保証証書) and the key notice (認証キー等のお知らせ)."""
