/* LiveKit server URLs: ws://, wss://, http://, https:// host[:port][/prefix].
 *
 * Thread: any; pure functions. */
#ifndef ALTO_URL_H
#define ALTO_URL_H

#include <stdbool.h>

struct alto_url {
	bool tls;                /* wss:// or https:// */
	char host[256];          /* without brackets for IPv6 literals */
	int port;                /* the explicit port, or 80 / 443 */
	char host_header[270];   /* host[:port] as sent in Host (brackets for IPv6) */
	char prefix[512];        /* path prefix without trailing '/', "" for none */
};

/* Parses url. Refuses other schemes, user info (credentials in URLs end up
 * in logs), queries, fragments, bad ports and characters outside the host
 * and path alphabets. Returns 0 or -EINVAL; *why (may be NULL) then names
 * the problem in a short phrase that is safe to print. */
int alto_url_parse(const char *url, struct alto_url *out, const char **why);

/* True for localhost, 127.0.0.0/8 and ::1. */
bool alto_url_is_loopback(const struct alto_url *url);

#endif
