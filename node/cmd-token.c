/* `alto token`: mint an access token, like `lk token create --join`.
 * Thread: main. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "alto-token.h"

#define DEFAULT_VALID_FOR (6 * 3600)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: alto token --identity I --room R [OPTIONS]\n"
		"\n"
		"Prints an access token that lets identity I join room R (HS256, signed with the API secret).\n"
		"\n"
		"  -i, --identity I        participant identity (required)\n"
		"  -r, --room R            room name (required)\n"
		"  -n, --name N            display name\n"
		"      --metadata M        participant metadata\n"
		"      --no-publish        may not publish tracks\n"
		"      --no-subscribe      may not subscribe\n"
		"      --no-publish-data   may not send data messages\n"
		"      --hidden            hidden participant\n"
		"      --valid-for D       validity, e.g. 6h, 30m, 1h30m, 90s (default 6h)\n"
		"      --api-key K         API key (default: LIVEKIT_API_KEY)\n"
		"      --api-secret-file F file holding the API secret (default: LIVEKIT_API_SECRET)\n"
		"      --url U             only to decide whether dev credentials may be assumed\n"
		"  -h, --help\n");
}

int alto_cmd_token(int argc, char **argv)
{
	enum { OPT_METADATA = 256, OPT_NO_PUBLISH, OPT_NO_SUBSCRIBE, OPT_NO_DATA, OPT_HIDDEN,
	       OPT_VALID_FOR, OPT_API_KEY, OPT_SECRET_FILE, OPT_URL };
	static const struct option options[] = {
		{ "identity", required_argument, NULL, 'i' },
		{ "room", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "metadata", required_argument, NULL, OPT_METADATA },
		{ "no-publish", no_argument, NULL, OPT_NO_PUBLISH },
		{ "no-subscribe", no_argument, NULL, OPT_NO_SUBSCRIBE },
		{ "no-publish-data", no_argument, NULL, OPT_NO_DATA },
		{ "hidden", no_argument, NULL, OPT_HIDDEN },
		{ "valid-for", required_argument, NULL, OPT_VALID_FOR },
		{ "api-key", required_argument, NULL, OPT_API_KEY },
		{ "api-secret-file", required_argument, NULL, OPT_SECRET_FILE },
		{ "url", required_argument, NULL, OPT_URL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct alto_token_grants g = {
		.room_join = true, .can_publish = true, .can_subscribe = true, .can_publish_data = true,
	};
	const char *api_key = NULL, *secret_file = NULL, *url = NULL;
	int64_t valid_for = DEFAULT_VALID_FOR;
	struct alto_credentials cred;
	char *token = NULL;
	int c, res;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:r:n:h", options, NULL)) != -1) {
		switch (c) {
		case 'i': g.identity = optarg; break;
		case 'r': g.room = optarg; break;
		case 'n': g.name = optarg; break;
		case OPT_METADATA: g.metadata = optarg; break;
		case OPT_NO_PUBLISH: g.can_publish = false; break;
		case OPT_NO_SUBSCRIBE: g.can_subscribe = false; break;
		case OPT_NO_DATA: g.can_publish_data = false; break;
		case OPT_HIDDEN: g.hidden = true; break;
		case OPT_VALID_FOR:
			if (alto_token_parse_duration(optarg, &valid_for) < 0) {
				alto_errorf("--valid-for: '%s' is not a duration like 6h, 30m or 90s", optarg);
				return ALTO_EXIT_USAGE;
			}
			break;
		case OPT_API_KEY: api_key = optarg; break;
		case OPT_SECRET_FILE: secret_file = optarg; break;
		case OPT_URL: url = optarg; break;
		case 'h': usage(stdout); return ALTO_EXIT_OK;
		default: usage(stderr); return ALTO_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		alto_errorf("token: unexpected argument '%s'", argv[optind]);
		return ALTO_EXIT_USAGE;
	}
	if (g.identity == NULL || g.identity[0] == '\0' || g.room == NULL || g.room[0] == '\0') {
		alto_errorf("token: --identity and --room are required");
		return ALTO_EXIT_USAGE;
	}
	/* LIVEKIT_TOKEN is no way to sign a new one: key and secret only */
	if ((res = alto_credentials_resolve(&cred, url, api_key, secret_file, NULL, false)) != 0)
		return res;
	if (cred.dev_defaults)
		alto_errorf("no credentials given: signing with the dev server's key 'devkey'");
	res = alto_token_mint(cred.api_key, cred.api_secret, &g, (int64_t)time(NULL), valid_for, &token);
	alto_credentials_clear(&cred);
	if (res < 0) {
		alto_errorf("token: cannot mint a token (%s)", g_strerror(-res));
		return ALTO_EXIT_INTERNAL;
	}
	printf("%s\n", token);
	memset(token, 0, strlen(token));
	free(token);
	return ALTO_EXIT_OK;
}
