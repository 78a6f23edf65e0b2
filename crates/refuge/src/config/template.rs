//! The settings file a new data folder starts with: every option, with
//! its default and what it does.

/// Written into a new data folder so the administrator sees every option.
pub const TEMPLATE: &str = r#"# Refuge settings. Every key is optional; the values shown are the defaults.
# Environment variables REFUGE_<KEY> (upper case) override this file, and
# command-line flags override both.

# Address and port to listen on.
# addr = "127.0.0.1:8080"

# The database. Absent (or "sqlite:"): the SQLite file refuge.db in this
# folder. "postgres://USER:PASSWORD@HOST:PORT/DATABASE": a PostgreSQL 15+
# database, which several Refuge servers can share (see the README).
# database_url = "postgres://refuge:secret@127.0.0.1:5432/refuge"

# Where the media library's files are kept. Absent: media/ in this folder.
# "s3://BUCKET/PREFIX": an S3-compatible bucket (several servers on one
# database share it); readers still fetch /media/… from Refuge. Credentials
# from media_credentials, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
# media_url = "s3://refuge-media/site"
# media_endpoint = "https://s3.example.net"   # hosts other than AWS S3
# media_region = "eu-central-1"
# media_credentials = "/etc/refuge/media-key"

# The public address of the site, used in canonical links, feeds and the
# sitemap. Defaults to http://<addr>.
# base_url = "https://example.org"

# Languages of the site; the first is the default.
# languages = ["en", "ja"]

# News items per listing page.
# page_size = 10

# Memory for rendered pages, in megabytes.
# cache_mb = 256

# Log one line per request (never with the reader's address unless
# log_client_ip is also true).
# log_requests = false
# log_client_ip = false

# Searches per minute allowed from one client (0: no limit).
# search_per_minute = 60

# The longest a request may take, in seconds, uploads included (raise it
# if editors upload large files over slow connections).
# request_timeout_seconds = 30

# Contact messages marked handled are deleted for good this many days
# after they arrived (0: kept until deleted by hand).
# message_retention_days = 90

# Send Strict-Transport-Security (only over HTTPS). On by default when
# Refuge serves HTTPS itself ([tls] below); set it when a proxy in front
# serves HTTPS for Refuge.
# hsts = false

# An onion service (Tor). Refuge listens on this Unix socket for Tor's
# `HiddenServicePort 80 unix:/run/refuge/onion.sock` (see the README).
# Pages served there use onion_address in their links; the other pages
# point to it with the Onion-Location header, and every page's footer and
# /{lang}/mirrors/ name it.
# onion_socket = "/run/refuge/onion.sock"
# onion_address = "http://example….onion"

# Limits every connection is held to. A request's head (and a TLS
# handshake) must arrive within header_timeout_seconds; a connection where
# nothing moves for idle_timeout_seconds is closed; connections beyond the
# caps are closed at once (per client: by address, not counting trusted
# proxies or the onion socket).
# header_timeout_seconds = 10
# idle_timeout_seconds = 60
# max_connections = 8192
# max_connections_per_client = 128

# Proxies in front of Refuge (a CDN, an anti-DDoS service such as Deflect
# or Cloudflare, a load balancer): only for requests from these networks
# is the client address read from Forwarded / X-Forwarded-For (it is used
# for rate limits and connection caps, never logged unless asked).
# trusted_proxies = ["203.0.113.0/24", "2001:db8::/32"]

# HTTP/2 without TLS (prior knowledge), for a proxy in front that speaks
# it. HTTP/2 over TLS is always offered.
# h2c = false

# HTTPS served by Refuge itself. With `domains`, certificates come from an
# ACME CA (Let's Encrypt by default) and are renewed in the background:
# the domains must point to this server, and http_addr (port 80) must be
# reachable for the CA's check. Or name certificate files that something
# else keeps current (read again when they change). With [tls], `addr`
# serves HTTPS (say "[::]:443") and http_addr answers plain HTTP: the CA's
# checks, and a redirect to HTTPS for everything else.
# http_addr = "[::]:80"
# [tls]
# domains = ["example.org", "www.example.org"]
# contact = "webmaster@example.org"
# acme_directory = "https://acme-v02.api.letsencrypt.org/directory"
# cache = "acme"                      # in the data folder
# renew_days = 30
# ca_root = "/etc/refuge/ca.pem"      # trust this root for a private ACME CA
# cert_file = "/etc/refuge/tls/fullchain.pem"   # instead of ACME
# key_file = "/etc/refuge/tls/privkey.pem"

# Mirrors: copies of the public site elsewhere, for readers who cannot
# reach this address. Every page's footer, /{lang}/mirrors/ and
# /mirrors.json list them. `refuge publish` keeps those with a bucket up
# to date (see the README); one [[mirrors]] table per copy.
# [[mirrors]]
# url = "https://refuge-mirror.s3.eu-central-1.amazonaws.com/site"  # where readers find it
# bucket = "s3://refuge-mirror/site"   # where `refuge publish` puts it
# endpoint = "https://s3.example.net"  # hosts other than AWS S3
# region = "eu-central-1"
# credentials = "/etc/refuge/mirror-key"  # aws_access_key_id = … / aws_secret_access_key = …
#                                          # (default: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)
# forms_url = "https://example.org"    # where its search and forms go (default: base_url)
# index_links = true                   # links name index.html (a bucket's plain address needs it)
# gzip = false                         # store text gzip-compressed (hosts that serve it as stored)
# name = "aws"                         # for `refuge publish aws` (default: the url's host)

# Outgoing e-mail (confirmations, newsletters, appeal updates, staff
# notices). Without it, e-mails wait in the outbox.
# [smtp]
# host = "smtp.example.org"
# port = 587
# security = "starttls"            # "starttls", "tls" or "none"
# username = "news@example.org"
# password_file = "/etc/refuge/smtp-password"   # read at start, never logged
# from = "Lighthouse Network <news@example.org>"
# per_minute = 60
# reply_to = "Lighthouse Network <office@example.org>"   # answers to list and automatic mail
# contact_from = "Lighthouse Network <help@example.org>" # sends (and receives) replies to contact messages
# helo_name = "example.org"        # the name in the SMTP greeting (default: the domain of base_url)
# dkim_key_file = "dkim.pem"       # sign every mail (made by `refuge mail dkim-keygen`)
# dkim_selector = "refuge"
# dkim_domain = "example.org"      # default: the domain of `from`

# Who is told by mail that a contact message arrived (default: every admin account).
# notify = ["office@example.org"]

# Send a welcome mail once a sign-up is confirmed (its text is under
# Site settings, per language).
# welcome_mail = true

# A contact-form writer who ticks "send me the news" is signed up (asked
# to confirm) at a random moment between a quarter of this and this many
# minutes later, so no time in the database links the sign-up to the
# message (0: at once). A restart meanwhile drops the sign-up; the message
# still says they asked.
# join_list_delay_minutes = 120
"#;
