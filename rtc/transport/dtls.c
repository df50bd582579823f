/* alto rtc/transport: DTLS-SRTP with OpenSSL 3.
 *
 * Incoming datagrams are written into a memory BIO, one at a time, and the SSL object is run
 * until it wants more; outgoing records leave through a small BIO of our own whose every write
 * is one datagram (a memory BIO would glue a flight's datagrams together). OpenSSL's error
 * queue is per thread and shared with libwebsockets on the network thread: it is cleared
 * before every SSL call and drained after.
 * Thread: see dtls.h.
 */
#define G_LOG_DOMAIN "alto.rtc.dtls"

#include "dtls.h"

#include <errno.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define DTLS_MTU		1200	/* what WebRTC stacks use: fits any path with TURN */
#define DTLS_INITIAL_TIMEOUT_US	250000	/* OpenSSL's 1 s is slow for a first flight */
#define DTLS_MAX_TIMEOUT_US	3000000
#define MAX_PENDING		16	/* datagrams held until the role is known */
#define SRTP_PROFILE_NAME	"SRTP_AES128_CM_SHA1_80"
#define SRTP_EXPORTER_LABEL	"EXTRACTOR-dtls_srtp"

struct alto_dtls_identity {
	EVP_PKEY *key;
	X509 *cert;
	struct alto_sdp_fingerprint fingerprint;
};

struct alto_dtls {
	GMainContext *context;
	const struct alto_dtls_identity *identity;
	const struct alto_dtls_events *events;
	void *data;

	SSL_CTX *ctx;
	SSL *ssl;
	BIO *in;			/* memory BIO, owned by ssl */

	struct alto_sdp_fingerprint remote_fingerprint;
	bool started;
	bool connected;
	bool failed;
	bool closed;
	bool fingerprint_mismatch;

	GSource *timer;
	GQueue pending;			/* GBytes received before start */
};

/* ---- identity ---- */

static int digest_certificate(X509 *cert, const char *algorithm, uint8_t *out, size_t *len)
{
	char name[16];
	size_t n = 0;
	const EVP_MD *md;
	unsigned int md_len = 0;

	/* "sha-256" in SDP is "sha256" to OpenSSL */
	for (const char *p = algorithm; *p && n + 1 < sizeof(name); p++)
		if (*p != '-')
			name[n++] = *p;
	name[n] = '\0';
	md = EVP_get_digestbyname(name);
	if (md == NULL || (size_t)EVP_MD_get_size(md) > ALTO_SDP_FINGERPRINT_MAX)
		return -ENOTSUP;
	if (X509_digest(cert, md, out, &md_len) != 1)
		return -EIO;
	*len = md_len;
	return 0;
}

int alto_dtls_identity_new(struct alto_dtls_identity **result)
{
	struct alto_dtls_identity *id;
	X509_NAME *name;
	uint64_t serial;
	int res = -EIO;

	if (result == NULL)
		return -EINVAL;
	*result = NULL;
	id = calloc(1, sizeof(*id));
	if (id == NULL)
		return -ENOMEM;
	ERR_clear_error();
	id->key = EVP_EC_gen("P-256");
	id->cert = X509_new();
	if (id->key == NULL || id->cert == NULL)
		goto error;
	if (RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1)
		goto error;
	serial >>= 1;	/* a positive serial */
	if (X509_set_version(id->cert, 2) != 1 ||
	    ASN1_INTEGER_set_uint64(X509_get_serialNumber(id->cert), serial) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(id->cert), -24 * 3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(id->cert), 30 * 24 * 3600) == NULL ||
	    X509_set_pubkey(id->cert, id->key) != 1)
		goto error;
	name = X509_get_subject_name(id->cert);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				(const unsigned char *)"alto", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(id->cert, name) != 1 ||
	    X509_sign(id->cert, id->key, EVP_sha256()) <= 0)
		goto error;
	strcpy(id->fingerprint.algorithm, "sha-256");
	if ((res = digest_certificate(id->cert, "sha-256", id->fingerprint.value,
					&id->fingerprint.len)) < 0)
		goto error;
	*result = id;
	return 0;
error:
	ERR_clear_error();
	alto_dtls_identity_free(id);
	return res;
}

void alto_dtls_identity_free(struct alto_dtls_identity *id)
{
	if (id == NULL)
		return;
	X509_free(id->cert);
	EVP_PKEY_free(id->key);
	free(id);
}

const struct alto_sdp_fingerprint *alto_dtls_identity_fingerprint(
		const struct alto_dtls_identity *id)
{
	return id ? &id->fingerprint : NULL;
}

/* ---- the datagram BIO ---- */

static int packet_bio_write(BIO *bio, const char *buf, int len)
{
	struct alto_dtls *dtls = BIO_get_data(bio);

	if (dtls && len > 0 && dtls->events->send)
		dtls->events->send(dtls->data, (const uint8_t *)buf, (size_t)len);
	return len;
}

static long packet_bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_DGRAM_QUERY_MTU:
		return DTLS_MTU;
	default:
		return 0;
	}
}

static int packet_bio_create(BIO *bio)
{
	BIO_set_init(bio, 1);
	return 1;
}

static int packet_bio_destroy(BIO *bio)
{
	BIO_set_data(bio, NULL);
	return 1;
}

static BIO_METHOD *packet_bio_method;

static gpointer make_packet_bio_method(gpointer unused)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "alto-dtls-packet");
	if (m == NULL)
		return NULL;
	BIO_meth_set_write(m, packet_bio_write);
	BIO_meth_set_ctrl(m, packet_bio_ctrl);
	BIO_meth_set_create(m, packet_bio_create);
	BIO_meth_set_destroy(m, packet_bio_destroy);
	packet_bio_method = m;
	return m;
}

static BIO_METHOD *get_packet_bio_method(void)
{
	static GOnce once = G_ONCE_INIT;
	return g_once(&once, make_packet_bio_method, NULL);
}

/* ---- session ---- */

static void openssl_reason(char *buf, size_t size)
{
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, buf, size);
	else
		snprintf(buf, size, "handshake failed");
	ERR_clear_error();
}

static void stop_timer(struct alto_dtls *dtls)
{
	if (dtls->timer) {
		g_source_destroy(dtls->timer);
		g_source_unref(dtls->timer);
		dtls->timer = NULL;
	}
}

static void fail(struct alto_dtls *dtls, int res, const char *reason)
{
	if (dtls->failed)
		return;
	dtls->failed = true;
	stop_timer(dtls);
	g_debug("DTLS failed: %s", reason);
	if (dtls->events->failed)
		dtls->events->failed(dtls->data, res, reason);
}

static int verify_certificate(X509_STORE_CTX *store, void *arg)
{
	struct alto_dtls *dtls = arg;
	X509 *cert = X509_STORE_CTX_get0_cert(store);
	uint8_t digest[ALTO_SDP_FINGERPRINT_MAX];
	size_t len = 0;

	if (cert == NULL || dtls->remote_fingerprint.len == 0 ||
	    digest_certificate(cert, dtls->remote_fingerprint.algorithm, digest, &len) < 0 ||
	    len != dtls->remote_fingerprint.len ||
	    CRYPTO_memcmp(digest, dtls->remote_fingerprint.value, len) != 0) {
		dtls->fingerprint_mismatch = true;
		X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return 1;
}

static unsigned int retransmit_timeout(SSL *ssl, unsigned int previous_us)
{
	if (previous_us == 0)
		return DTLS_INITIAL_TIMEOUT_US;
	return previous_us * 2 > DTLS_MAX_TIMEOUT_US ? DTLS_MAX_TIMEOUT_US : previous_us * 2;
}

static gboolean on_timer(gpointer data);

static void update_timer(struct alto_dtls *dtls)
{
	struct timeval tv;

	stop_timer(dtls);
	if (dtls->failed || !dtls->started || dtls->closed)
		return;
	if (DTLSv1_get_timeout(dtls->ssl, &tv) != 1)
		return;
	guint ms = (guint)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
	dtls->timer = g_timeout_source_new(ms);
	g_source_set_callback(dtls->timer, on_timer, dtls, NULL);
	g_source_attach(dtls->timer, dtls->context);
}

static void handshake_done(struct alto_dtls *dtls)
{
	struct alto_dtls_keys keys;
	uint8_t material[2 * ALTO_SRTP_MASTER_LEN];
	const uint8_t *client_key, *server_key, *client_salt, *server_salt;
	bool client = !SSL_is_server(dtls->ssl);
	SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile(dtls->ssl);
	X509 *peer = SSL_get0_peer_certificate(dtls->ssl);
	uint8_t digest[ALTO_SDP_FINGERPRINT_MAX];
	size_t len = 0;

	/* the verify callback ran already; this is the same check once more, cheap insurance */
	if (peer == NULL ||
	    digest_certificate(peer, dtls->remote_fingerprint.algorithm, digest, &len) < 0 ||
	    len != dtls->remote_fingerprint.len ||
	    CRYPTO_memcmp(digest, dtls->remote_fingerprint.value, len) != 0) {
		fail(dtls, -ECONNREFUSED, "peer certificate does not match the SDP fingerprint");
		return;
	}
	if (profile == NULL || profile->id != SRTP_AES128_CM_SHA1_80) {
		fail(dtls, -EPROTO, "peer did not negotiate " SRTP_PROFILE_NAME);
		return;
	}
	if (SSL_export_keying_material(dtls->ssl, material, sizeof(material), SRTP_EXPORTER_LABEL,
				strlen(SRTP_EXPORTER_LABEL), NULL, 0, 0) != 1) {
		ERR_clear_error();
		fail(dtls, -EPROTO, "cannot export SRTP keys");
		return;
	}
	/* RFC 5764 4.2: client key, server key, client salt, server salt */
	client_key = material;
	server_key = material + ALTO_SRTP_MASTER_KEY_LEN;
	client_salt = material + 2 * ALTO_SRTP_MASTER_KEY_LEN;
	server_salt = client_salt + ALTO_SRTP_MASTER_SALT_LEN;
	memcpy(keys.local, client ? client_key : server_key, ALTO_SRTP_MASTER_KEY_LEN);
	memcpy(keys.local + ALTO_SRTP_MASTER_KEY_LEN, client ? client_salt : server_salt,
			ALTO_SRTP_MASTER_SALT_LEN);
	memcpy(keys.remote, client ? server_key : client_key, ALTO_SRTP_MASTER_KEY_LEN);
	memcpy(keys.remote + ALTO_SRTP_MASTER_KEY_LEN, client ? server_salt : client_salt,
			ALTO_SRTP_MASTER_SALT_LEN);
	OPENSSL_cleanse(material, sizeof(material));

	dtls->connected = true;
	g_debug("DTLS connected as %s, cipher %s", client ? "client" : "server",
			SSL_get_cipher_name(dtls->ssl));
	if (dtls->events->connected)
		dtls->events->connected(dtls->data, &keys);
	OPENSSL_cleanse(&keys, sizeof(keys));
}

/* Run the SSL object until it wants another datagram. */
static void drive(struct alto_dtls *dtls)
{
	char reason[256];
	int r, err;

	if (dtls->failed || dtls->closed)
		return;
	if (!dtls->connected) {
		ERR_clear_error();
		r = SSL_do_handshake(dtls->ssl);
		if (r == 1) {
			handshake_done(dtls);
		} else {
			err = SSL_get_error(dtls->ssl, r);
			if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
				if (dtls->fingerprint_mismatch) {
					ERR_clear_error();
					fail(dtls, -ECONNREFUSED, "peer certificate does not match "
							"the SDP fingerprint");
				} else {
					openssl_reason(reason, sizeof(reason));
					fail(dtls, -EPROTO, reason);
				}
				return;
			}
		}
	}
	while (dtls->connected && !dtls->failed && !dtls->closed) {
		uint8_t scratch[2048];
		/* application data (SCTP of a data channel section) is not used by alto */
		ERR_clear_error();
		r = SSL_read(dtls->ssl, scratch, sizeof(scratch));
		if (r > 0)
			continue;
		err = SSL_get_error(dtls->ssl, r);
		if (err == SSL_ERROR_ZERO_RETURN) {
			dtls->closed = true;
			if (dtls->events->closed)
				dtls->events->closed(dtls->data);
		} else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			openssl_reason(reason, sizeof(reason));
			g_debug("DTLS read: %s", reason);
		}
		break;
	}
	ERR_clear_error();
	/* a datagram is processed whole or not at all: never carry bytes into the next one */
	if (BIO_ctrl_pending(dtls->in) > 0)
		(void)BIO_reset(dtls->in);
	update_timer(dtls);
}

static gboolean on_timer(gpointer data)
{
	struct alto_dtls *dtls = data;
	GSource *source = dtls->timer;

	dtls->timer = NULL;
	ERR_clear_error();
	if (DTLSv1_handle_timeout(dtls->ssl) < 0) {
		ERR_clear_error();
		if (!dtls->connected)
			fail(dtls, -ETIMEDOUT, "DTLS handshake timed out");
	} else {
		update_timer(dtls);
	}
	if (source)
		g_source_unref(source);
	return G_SOURCE_REMOVE;
}

struct alto_dtls *alto_dtls_new(GMainContext *context, const struct alto_dtls_identity *identity,
		const struct alto_dtls_events *events, void *data)
{
	struct alto_dtls *dtls;
	BIO *out = NULL;
	BIO_METHOD *method = get_packet_bio_method();

	if (identity == NULL || events == NULL || method == NULL) {
		errno = EINVAL;
		return NULL;
	}
	dtls = calloc(1, sizeof(*dtls));
	if (dtls == NULL)
		return NULL;
	dtls->context = context ? g_main_context_ref(context) : g_main_context_ref_thread_default();
	dtls->identity = identity;
	dtls->events = events;
	dtls->data = data;
	g_queue_init(&dtls->pending);

	ERR_clear_error();
	dtls->ctx = SSL_CTX_new(DTLS_method());
	if (dtls->ctx == NULL)
		goto error;
	if (SSL_CTX_set_min_proto_version(dtls->ctx, DTLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(dtls->ctx, DTLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate(dtls->ctx, identity->cert) != 1 ||
	    SSL_CTX_use_PrivateKey(dtls->ctx, identity->key) != 1 ||
	    SSL_CTX_check_private_key(dtls->ctx) != 1 ||
	    /* note: returns 0 on success */
	    SSL_CTX_set_tlsext_use_srtp(dtls->ctx, SRTP_PROFILE_NAME) != 0 ||
	    SSL_CTX_set1_groups_list(dtls->ctx, "X25519:P-256") != 1 ||
	    SSL_CTX_set_cipher_list(dtls->ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:"
		    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
		    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
		    "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA") != 1)
		goto error;
	/* self-signed certificates everywhere: trust comes from the SDP fingerprint only */
	SSL_CTX_set_verify(dtls->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(dtls->ctx, verify_certificate, dtls);
	SSL_CTX_set_read_ahead(dtls->ctx, 1);

	dtls->ssl = SSL_new(dtls->ctx);
	dtls->in = BIO_new(BIO_s_mem());
	out = BIO_new(method);
	if (dtls->ssl == NULL || dtls->in == NULL || out == NULL)
		goto error;
	BIO_set_mem_eof_return(dtls->in, -1);	/* empty means "want more", not EOF */
	BIO_set_data(out, dtls);
	SSL_set_bio(dtls->ssl, dtls->in, out);	/* ssl owns both now */
	out = NULL;
	SSL_set_options(dtls->ssl, SSL_OP_NO_QUERY_MTU);
	DTLS_set_link_mtu(dtls->ssl, DTLS_MTU);
	DTLS_set_timer_cb(dtls->ssl, retransmit_timeout);
	ERR_clear_error();
	return dtls;

error:
	{
		char reason[256];
		openssl_reason(reason, sizeof(reason));
		g_warning("cannot set up DTLS: %s", reason);
	}
	BIO_free(out);
	if (dtls->ssl == NULL)
		BIO_free(dtls->in);
	dtls->in = NULL;
	alto_dtls_destroy(dtls);
	errno = EIO;
	return NULL;
}

void alto_dtls_destroy(struct alto_dtls *dtls)
{
	GBytes *b;

	if (dtls == NULL)
		return;
	stop_timer(dtls);
	if (dtls->ssl && dtls->connected && !dtls->failed && !dtls->closed) {
		ERR_clear_error();
		SSL_shutdown(dtls->ssl);	/* close_notify, so the peer knows at once */
		ERR_clear_error();
	}
	if (dtls->ssl) {
		/* no more send events from here */
		BIO_set_data(SSL_get_wbio(dtls->ssl), NULL);
		SSL_free(dtls->ssl);
	}
	SSL_CTX_free(dtls->ctx);
	while ((b = g_queue_pop_head(&dtls->pending)) != NULL)
		g_bytes_unref(b);
	g_main_context_unref(dtls->context);
	free(dtls);
}

int alto_dtls_set_remote_fingerprint(struct alto_dtls *dtls, const struct alto_sdp_fingerprint *fp)
{
	if (dtls == NULL || fp == NULL || fp->len == 0 || fp->len > ALTO_SDP_FINGERPRINT_MAX)
		return -EINVAL;
	dtls->remote_fingerprint = *fp;
	return 0;
}

static void feed(struct alto_dtls *dtls, const uint8_t *buf, size_t len)
{
	if (BIO_write(dtls->in, buf, (int)len) != (int)len) {
		ERR_clear_error();
		return;
	}
	drive(dtls);
}

int alto_dtls_start(struct alto_dtls *dtls, enum alto_dtls_role role)
{
	GBytes *b;

	if (dtls == NULL || (role != ALTO_DTLS_ROLE_CLIENT && role != ALTO_DTLS_ROLE_SERVER))
		return -EINVAL;
	if (dtls->started)
		return -EALREADY;
	if (dtls->remote_fingerprint.len == 0)
		return -EINVAL;
	dtls->started = true;
	if (role == ALTO_DTLS_ROLE_CLIENT)
		SSL_set_connect_state(dtls->ssl);
	else
		SSL_set_accept_state(dtls->ssl);
	g_debug("DTLS start as %s", role == ALTO_DTLS_ROLE_CLIENT ? "client" : "server");
	if (role == ALTO_DTLS_ROLE_CLIENT)
		drive(dtls);	/* ClientHello */
	while ((b = g_queue_pop_head(&dtls->pending)) != NULL) {
		gsize size;
		const uint8_t *p = g_bytes_get_data(b, &size);
		if (!dtls->failed)
			feed(dtls, p, size);
		g_bytes_unref(b);
	}
	return 0;
}

int alto_dtls_receive(struct alto_dtls *dtls, const uint8_t *buf, size_t len)
{
	if (dtls == NULL || buf == NULL || len == 0 || len > 65535)
		return -EINVAL;
	if (buf[0] < 20 || buf[0] > 63)
		return -EINVAL;
	if (dtls->failed || dtls->closed)
		return 0;
	if (!dtls->started) {
		if (g_queue_get_length(&dtls->pending) < MAX_PENDING)
			g_queue_push_tail(&dtls->pending, g_bytes_new(buf, len));
		return 0;
	}
	feed(dtls, buf, len);
	return 0;
}

bool alto_dtls_is_connected(const struct alto_dtls *dtls)
{
	return dtls != NULL && dtls->connected && !dtls->failed && !dtls->closed;
}
