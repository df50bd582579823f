/* Unit test of node/names.c: graph object names from untrusted LiveKit
 * strings are safe (only [A-Za-z0-9_.-]), stable, bounded, and long names
 * stay distinct. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); exit(1); } } while (0)
#define CHECK_STR(a, b) do { if (strcmp((a), (b)) != 0) { \
	fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, (a), (b)); exit(1); } } while (0)

static void check_safe(const char *s, const char *extra)
{
	for (const char *p = s; *p; p++) {
		char c = *p;
		CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '~' || (extra && strchr(extra, c)));
	}
}

int main(void)
{
	char buf[ALTO_NAME_MAX], other[ALTO_NAME_MAX], in[ALTO_INPUT_NAME_MAX];
	char longname[400];

	/* the plain cases */
	CHECK(alto_name_mixer_node(buf, sizeof(buf), "standup") == 0);
	CHECK_STR(buf, "alto.standup");
	CHECK(alto_name_participant_node(buf, sizeof(buf), "standup", "alice", NULL) == 0);
	CHECK_STR(buf, "alto.standup.alice");
	CHECK(alto_name_participant_node(buf, sizeof(buf), "standup", "alice", "TR_abc") == 0);
	CHECK_STR(buf, "alto.standup.alice.TR_abc");
	CHECK(alto_name_mixer_input(in, sizeof(in), "alice", NULL) == 0);
	CHECK_STR(in, "alice");
	CHECK(alto_name_mixer_input(in, sizeof(in), "alice", "2") == 0);
	CHECK_STR(in, "alice-2");

	/* hostile strings: quotes, spaces, colons (pw-link separators), dots, UTF-8, control */
	CHECK(alto_name_participant_node(buf, sizeof(buf), "my room: \"x\"", "Ève.\n:\\ \x1b[31m", NULL) == 0);
	CHECK(strncmp(buf, "alto.my_room___x_.", 18) == 0);
	check_safe(buf + 5, ".");
	CHECK(strchr(buf + 18, '.') == NULL);		/* the identity cannot add a part */
	CHECK(alto_name_mixer_input(in, sizeof(in), "a:b \"c\"\\", NULL) == 0);
	CHECK_STR(in, "a_b__c__");
	check_safe(in, NULL);

	/* empty strings still make a name */
	CHECK(alto_name_participant_node(buf, sizeof(buf), "", "", NULL) == 0);
	CHECK_STR(buf, "alto._._");
	CHECK(alto_name_mixer_input(in, sizeof(in), "", NULL) == 0);
	CHECK_STR(in, "_");

	/* long names are cut with a hash of the whole: bounded and still distinct */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(alto_name_participant_node(buf, sizeof(buf), longname, longname, longname) == 0);
	CHECK(strlen(buf) < ALTO_NAME_MAX);
	check_safe(buf, ".");
	longname[300] = 'y';
	CHECK(alto_name_participant_node(other, sizeof(other), longname, longname, longname) == 0);
	CHECK(strcmp(buf, other) != 0);
	CHECK(alto_name_mixer_input(in, sizeof(in), longname, longname) == 0);
	CHECK(strlen(in) < ALTO_INPUT_NAME_MAX && strlen(in) <= 63);
	check_safe(in, NULL);

	/* stable: the same input gives the same name (WirePlumber restores by it) */
	CHECK(alto_name_participant_node(other, sizeof(other), longname, longname, longname) == 0);
	CHECK(alto_name_participant_node(buf, sizeof(buf), longname, longname, longname) == 0);
	CHECK_STR(buf, other);

	/* too small a buffer is refused, never overrun */
	CHECK(alto_name_mixer_node(buf, 10, "r") == -ENOSPC);
	CHECK(alto_name_mixer_input(in, 8, "alice", NULL) == -ENOSPC);

	printf("ok\n");
	return 0;
}
