/* Resolving the server URL and the credentials for a command, the way the
 * `lk` CLI and the SDKs do (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET),
 * plus LIVEKIT_TOKEN and --api-secret-file so a secret never needs argv. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "alto-url.h"

#define DEFAULT_URL "ws://localhost:7880"
#define DEV_API_KEY "devkey"
#define DEV_API_SECRET "secret"
#define MAX_SECRET_FILE 4096

void alto_errorf(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", alto_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static char *read_secret_file(const char *path)
{
	gchar *contents = NULL;
	gsize len = 0;
	GError *err = NULL;
	struct stat st;

	/* A secret others can read is no secret: refuse it as ssh does a key
	 * file, before reading a byte. stat() follows a symlink, so the mode
	 * checked is the file's own. */
	if (stat(path, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		alto_errorf("the API secret file %s is accessible by other users (mode %04o): "
			    "make it private with `chmod 600 %s`", path, (unsigned)(st.st_mode & 07777), path);
		return NULL;
	}
	if (!g_file_get_contents(path, &contents, &len, &err)) {
		alto_errorf("cannot read the API secret file %s: %s", path, err->message);
		g_error_free(err);
		return NULL;
	}
	if (len > MAX_SECRET_FILE || memchr(contents, '\0', len) != NULL) {
		alto_errorf("the API secret file %s does not look like a secret (binary or too large)", path);
		g_free(contents);
		return NULL;
	}
	g_strstrip(contents);
	if (contents[0] == '\0') {
		alto_errorf("the API secret file %s is empty", path);
		g_free(contents);
		return NULL;
	}
	return contents;
}

int alto_credentials_resolve(struct alto_credentials *c, const char *url_arg, const char *api_key_arg,
			     const char *api_secret_file, const char *token_arg, bool allow_token)
{
	struct alto_url url;
	const char *why = NULL, *key, *secret_env;

	memset(c, 0, sizeof(*c));
	c->url = g_strdup(url_arg ? url_arg : env_nonempty("LIVEKIT_URL") ? env_nonempty("LIVEKIT_URL") : DEFAULT_URL);
	if (alto_url_parse(c->url, &url, &why) < 0) {
		alto_errorf("invalid server URL: %s", why);
		goto usage;
	}

	if (allow_token && token_arg && *token_arg) {
		c->token = g_strdup(token_arg);
		return 0;
	}
	if (allow_token && env_nonempty("LIVEKIT_TOKEN")) {
		c->token = g_strdup(env_nonempty("LIVEKIT_TOKEN"));
		return 0;
	}

	key = api_key_arg ? api_key_arg : env_nonempty("LIVEKIT_API_KEY");
	secret_env = env_nonempty("LIVEKIT_API_SECRET");
	if (api_secret_file) {
		c->api_secret = read_secret_file(api_secret_file);
		if (c->api_secret == NULL)
			goto usage;
	} else if (secret_env) {
		c->api_secret = g_strdup(secret_env);
	}
	if (key && *key && c->api_secret) {
		c->api_key = g_strdup(key);
		return 0;
	}
	if ((key && *key) || c->api_secret) {
		alto_errorf("%s", c->api_secret ? "an API secret without an API key: set LIVEKIT_API_KEY or --api-key"
						: "an API key without its secret: set LIVEKIT_API_SECRET or --api-secret-file");
		goto usage;
	}
	/* nothing given: the dev server's well-known pair, but only next door */
	if (!alto_url_is_loopback(&url)) {
		alto_errorf("no credentials for %s: set LIVEKIT_API_KEY and LIVEKIT_API_SECRET "
			    "(or --api-secret-file), or give a token (--token, LIVEKIT_TOKEN)", c->url);
		goto usage;
	}
	c->api_key = g_strdup(DEV_API_KEY);
	c->api_secret = g_strdup(DEV_API_SECRET);
	c->dev_defaults = true;
	return 0;

usage:
	alto_credentials_clear(c);
	return ALTO_EXIT_USAGE;
}

void alto_credentials_clear(struct alto_credentials *c)
{
	if (c->api_secret)
		memset(c->api_secret, 0, strlen(c->api_secret));
	if (c->token)
		memset(c->token, 0, strlen(c->token));
	g_free(c->url);
	g_free(c->token);
	g_free(c->api_key);
	g_free(c->api_secret);
	memset(c, 0, sizeof(*c));
}
