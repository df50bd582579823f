/* `alto`: the command line entry point and subcommand dispatch.
 *
 * Subcommands live in their own files (cmd-join.c, cmd-token.c); the
 * PipeWire session that `alto join` will drive is added next to them.
 * Thread: main. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

const char *alto_prog = "alto";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: alto COMMAND [OPTIONS]\n"
		"\n"
		"A LiveKit room as part of the PipeWire audio graph.\n"
		"\n"
		"Commands:\n"
		"  join [URL]     join a room and follow it (participants, tracks, speakers)\n"
		"  token          print an access token for a room (like `lk token create`)\n"
		"  help           this text; `alto COMMAND --help` for a command's options\n"
		"\n"
		"Server and credentials, as the lk CLI takes them:\n"
		"  LIVEKIT_URL          server URL (ws://, wss://, http://, https://); default ws://localhost:7880\n"
		"  LIVEKIT_API_KEY      API key (or --api-key)\n"
		"  LIVEKIT_API_SECRET   API secret (or --api-secret-file FILE; never on the command line)\n"
		"  LIVEKIT_TOKEN        a ready access token (or --token)\n"
		"  With none of them and a loopback URL, the dev server's devkey/secret is used.\n"
		"\n"
		"Exit codes:\n"
		"  0  left the room (SIGINT/SIGTERM) or command done\n"
		"  1  usage error: bad option, bad URL, missing credentials\n"
		"  2  access refused: the server answered 401/403, or the token is not for this room/identity\n"
		"  3  cannot connect, or the connection was lost, and --max-retries attempts failed\n"
		"  4  removed by the server (duplicate identity, room deleted, join failure, ...)\n"
		"  5  the server refused the request (HTTP 400/404: not a LiveKit server?)\n"
		"  6  internal error\n");
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
		printf("alto 0.1.0\n");
		return ALTO_EXIT_OK;
	}
	alto_errorf("unknown command '%s' (try `alto --help`)", cmd);
	return ALTO_EXIT_USAGE;
}
