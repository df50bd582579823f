/* The `alto` command line: shared definitions of the subcommands.
 *
 * Thread: the main thread (the join command runs its GMainContext there). */
#ifndef ALTO_NODE_CLI_H
#define ALTO_NODE_CLI_H

#include <stdbool.h>

/* Exit codes (documented in node/README.md and `alto --help`). */
enum alto_exit {
	ALTO_EXIT_OK = 0,            /* left the room (signal, leave) / command done */
	ALTO_EXIT_USAGE = 1,         /* bad arguments, missing credentials, bad URL */
	ALTO_EXIT_AUTH = 2,          /* token refused (401/403) or not for this room/identity */
	ALTO_EXIT_UNREACHABLE = 3,   /* cannot connect (or lost the server) after --max-retries */
	ALTO_EXIT_REMOVED = 4,       /* the server removed us (leave DISCONNECT: duplicate identity, ...) */
	ALTO_EXIT_REFUSED = 5,       /* the server refused the request (400/404: not a LiveKit server?) */
	ALTO_EXIT_INTERNAL = 6,      /* internal error */
};

extern const char *alto_prog;

int alto_cmd_join(int argc, char **argv);
int alto_cmd_token(int argc, char **argv);

/* Where the credentials come from, as the `lk` CLI does it:
 * URL: argument > --url > LIVEKIT_URL > ws://localhost:7880;
 * token (when allow_token): --token > LIVEKIT_TOKEN; else minted from
 * API key: --api-key > LIVEKIT_API_KEY and secret: --api-secret-file > LIVEKIT_API_SECRET;
 * with none of these and a loopback URL, the dev server's devkey/secret. */
struct alto_credentials {
	char *url;
	char *token;             /* a given token, or NULL */
	char *api_key;
	char *api_secret;        /* wiped when cleared */
	bool dev_defaults;       /* devkey/secret were assumed */
};

/* Returns 0, or ALTO_EXIT_USAGE after printing one line on stderr. */
int alto_credentials_resolve(struct alto_credentials *c, const char *url_arg, const char *api_key_arg,
			     const char *api_secret_file, const char *token_arg, bool allow_token);
void alto_credentials_clear(struct alto_credentials *c);

/* One line on stderr, prefixed with the program name. */
void alto_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
