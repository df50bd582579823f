/* `alto`: the command line entry point and subcommand dispatch.
 *
 * Subcommands live in their own files (cmd-join.c, cmd-token.c); the room
 * session they drive is the same code libpipewire-module-alto runs inside
 * PipeWire (node/module/). Thread: main. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include <pipewire/pipewire.h>

#ifndef ALTO_VERSION
#define ALTO_VERSION "0.1.0"
#endif

const char *alto_prog = "alto";

/* The layout of the pw-* tools' --help: the synopsis line, then one option
 * per line with its description in column 41. */
static void usage(FILE *out)
{
	fprintf(out,
		"%s [options] COMMAND [ARGS]\n"
		"  -h, --help                            Show this help\n"
		"      --version                         Show version\n"
		"\n"
		"A LiveKit room as part of the PipeWire audio graph: each remote participant\n"
		"is its own playback stream, the room is a mixer node, the microphone is\n"
		"published to the room.\n"
		"\n"
		"Commands:\n"
		"  join [URL]                            Join a room and play it into the graph\n"
		"                                          (`alto join --help` for its options)\n"
		"  token                                 Print an access token for a room\n"
		"                                          (like `lk token create`)\n"
		"  help                                  Show this help\n"
		"\n"
		"Environment (as the lk CLI takes it):\n"
		"  LIVEKIT_URL                           Server URL (ws://, wss://, http://,\n"
		"                                          https://; default ws://localhost:7880)\n"
		"  LIVEKIT_API_KEY                       API key (or --api-key)\n"
		"  LIVEKIT_API_SECRET                    API secret (or --api-secret-file FILE,\n"
		"                                          mode 0600; never on the command line)\n"
		"  LIVEKIT_TOKEN                         A ready access token (or --token)\n"
		"  With none of them and a loopback URL, the dev server's devkey/secret is used.\n"
		"\n"
		"Exit status:\n"
		"  0                                     Left the room (SIGINT/SIGTERM), or done\n"
		"  1                                     Usage: bad option, URL or credentials\n"
		"  2                                     Access refused (401/403, or the token is\n"
		"                                          not for this room/identity)\n"
		"  3                                     Cannot connect, or lost the server, after\n"
		"                                          --max-retries attempts\n"
		"  4                                     Removed by the server (duplicate identity,\n"
		"                                          room deleted, join failure)\n"
		"  5                                     Request refused (HTTP 400/404: not LiveKit?)\n"
		"  6                                     Internal error\n"
		"\n"
		"The same room session runs inside PipeWire as libpipewire-module-alto;\n"
		"see alto(1).\n",
		alto_prog);
}

static void version(void)
{
	printf("%s %s\n"
	       "Compiled with libpipewire %s\n"
	       "Linked with libpipewire %s\n",
	       alto_prog, ALTO_VERSION, pw_get_headers_version(), pw_get_library_version());
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return ALTO_EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "join") == 0)
		return alto_cmd_join(argc - 1, argv + 1);
	if (strcmp(cmd, "token") == 0)
		return alto_cmd_token(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return ALTO_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		version();
		return ALTO_EXIT_OK;
	}
	alto_errorf("unknown command '%s' (try `alto --help`)", cmd);
	return ALTO_EXIT_USAGE;
}
