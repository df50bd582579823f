/* Parsing LiveKit server URLs. */
#include "alto-url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FAIL(msg)                   \
	do {                        \
		if (why)            \
			*why = msg; \
		return -EINVAL;     \
	} while (0)

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

static bool path_char(char c)
{
	return host_char(c) || c == '/' || c == '~' || c == '%' || c == '+' || c == ',' || c == ';' ||
	       c == '=' || c == ':' || c == '@' || c == '!' || c == '$' || c == '&' || c == '\'' ||
	       c == '(' || c == ')' || c == '*';
}

int alto_url_parse(const char *url, struct alto_url *out, const char **why)
{
	const char *p, *auth_end, *host_start, *host_end, *port_start = NULL;
	size_t n;

	if (url == NULL || out == NULL)
		FAIL("no URL");
	memset(out, 0, sizeof(*out));
	if (strncasecmp(url, "wss://", 6) == 0) {
		out->tls = true;
		p = url + 6;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		out->tls = true;
		p = url + 8;
	} else if (strncasecmp(url, "ws://", 5) == 0) {
		p = url + 5;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		p = url + 7;
	} else {
		FAIL("the URL must start with ws://, wss://, http:// or https://");
	}

	auth_end = p + strcspn(p, "/?#");
	if (*auth_end == '?' || *auth_end == '#' || strpbrk(auth_end, "?#") != NULL)
		FAIL("the URL must not have a query or fragment");
	if (memchr(p, '@', (size_t)(auth_end - p)) != NULL)
		FAIL("the URL must not carry user credentials");

	if (*p == '[') {
		host_start = p + 1;
		host_end = memchr(host_start, ']', (size_t)(auth_end - host_start));
		if (host_end == NULL)
			FAIL("unterminated IPv6 address in the URL");
		for (const char *c = host_start; c < host_end; c++)
			if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') ||
			      (*c >= 'A' && *c <= 'F') || *c == ':' || *c == '.'))
				FAIL("bad IPv6 address in the URL");
		if (host_end + 1 < auth_end) {
			if (host_end[1] != ':')
				FAIL("bad characters after the IPv6 address");
			port_start = host_end + 2;
		}
	} else {
		host_start = p;
		host_end = memchr(p, ':', (size_t)(auth_end - p));
		if (host_end != NULL)
			port_start = host_end + 1;
		else
			host_end = auth_end;
		for (const char *c = host_start; c < host_end; c++)
			if (!host_char(*c))
				FAIL("bad characters in the URL's host name");
	}
	n = (size_t)(host_end - host_start);
	if (n == 0)
		FAIL("the URL has no host");
	if (n >= sizeof(out->host))
		FAIL("the URL's host name is too long");
	memcpy(out->host, host_start, n);

	out->port = out->tls ? 443 : 80;
	if (port_start != NULL) {
		long port = 0;
		if (port_start == auth_end)
			FAIL("empty port in the URL");
		for (const char *c = port_start; c < auth_end; c++) {
			if (*c < '0' || *c > '9' || port > 65535)
				FAIL("bad port in the URL");
			port = port * 10 + (*c - '0');
		}
		if (port < 1 || port > 65535)
			FAIL("bad port in the URL");
		out->port = (int)port;
	}

	if (strchr(out->host, ':') != NULL)
		snprintf(out->host_header, sizeof(out->host_header), "[%s]", out->host);
	else
		snprintf(out->host_header, sizeof(out->host_header), "%s", out->host);
	if (port_start != NULL && out->port != (out->tls ? 443 : 80)) {
		size_t l = strlen(out->host_header);
		snprintf(out->host_header + l, sizeof(out->host_header) - l, ":%d", out->port);
	}

	n = strlen(auth_end);
	while (n > 0 && auth_end[n - 1] == '/')
		n--;
	if (n >= sizeof(out->prefix))
		FAIL("the URL's path is too long");
	for (size_t i = 0; i < n; i++)
		if (!path_char(auth_end[i]))
			FAIL("bad characters in the URL's path");
	memcpy(out->prefix, auth_end, n);
	return 0;
}

bool alto_url_is_loopback(const struct alto_url *url)
{
	if (url == NULL)
		return false;
	return strcasecmp(url->host, "localhost") == 0 || strncmp(url->host, "127.", 4) == 0 ||
	       strcmp(url->host, "::1") == 0;
}
