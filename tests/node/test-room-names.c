/* Unit test of node/names.c: graph object names from untrusted LiveKit
 * strings are safe (only [A-Za-z0-9_.-], '@' where alto puts it), stable,
 * bounded, and long names stay distinct; the names of a room joined a
 * second time in one graph (qualified by the own identity) never equal the
 * plain names of the first. */
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
	CHECK(alto_name_mixer_node(buf, sizeof(buf), "standup", "me", 0) == 0);
	CHECK_STR(buf, "alto.standup");
	CHECK(alto_name_participant_node(buf, sizeof(buf), "alto.standup", "alice", NULL) == 0);
	CHECK_STR(buf, "alto.standup.alice");
	CHECK(alto_name_participant_node(buf, sizeof(buf), "alto.standup", "alice", "TR_abc") == 0);
	CHECK_STR(buf, "alto.standup.alice.TR_abc");
	CHECK(alto_name_mixer_input(in, sizeof(in), "alice", NULL) == 0);
	CHECK_STR(in, "alice");
	CHECK(alto_name_mixer_input(in, sizeof(in), "alice", "2") == 0);
	CHECK_STR(in, "alice-2");

	/* hostile strings: quotes, spaces, colons (pw-link separators), dots, UTF-8, control */
	CHECK(alto_name_mixer_node(other, sizeof(other), "my room: \"x\"", NULL, 0) == 0);
	CHECK(alto_name_participant_node(buf, sizeof(buf), other, "Ève.\n:\\ \x1b[31m", NULL) == 0);
	CHECK(strncmp(buf, "alto.my_room___x_.", 18) == 0);
	check_safe(buf + 5, ".");
	CHECK(strchr(buf + 18, '.') == NULL);		/* the identity cannot add a part */
	CHECK(alto_name_mixer_input(in, sizeof(in), "a:b \"c\"\\", NULL) == 0);
	CHECK_STR(in, "a_b__c__");
	check_safe(in, NULL);

	/* empty strings still make a name */
	CHECK(alto_name_mixer_node(other, sizeof(other), "", NULL, 0) == 0);
	CHECK(alto_name_participant_node(buf, sizeof(buf), other, "", NULL) == 0);
	CHECK_STR(buf, "alto._._");
	CHECK(alto_name_mixer_input(in, sizeof(in), "", NULL) == 0);
	CHECK_STR(in, "_");

	/* long names are cut with a hash of the whole: bounded and still distinct,
	 * plain and qualified alike, with the longest suffix there is */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	for (unsigned int choice = 0; choice <= ALTO_NAME_CHOICE_MAX; choice += 333) {
		char mixer[ALTO_NAME_MAX], mixer2[ALTO_NAME_MAX];

		CHECK(alto_name_mixer_node(mixer, sizeof(mixer), longname, longname, choice) == 0);
		CHECK(strlen(mixer) <= ALTO_MIXER_NAME_LEN);
		check_safe(mixer + 5, choice ? "@" : NULL);
		CHECK(alto_name_participant_node(buf, sizeof(buf), mixer, longname, longname) == 0);
		CHECK(strlen(buf) < ALTO_NAME_MAX);
		check_safe(buf, choice ? ".@" : ".");
		longname[300] = 'y';
		CHECK(alto_name_mixer_node(mixer2, sizeof(mixer2), longname, longname, choice) == 0);
		CHECK(strcmp(mixer, mixer2) != 0);
		CHECK(alto_name_participant_node(other, sizeof(other), mixer2, longname, longname) == 0);
		CHECK(strcmp(buf, other) != 0);
		longname[300] = 'x';
		/* stable: the same input gives the same name (WirePlumber restores by it) */
		CHECK(alto_name_mixer_node(mixer2, sizeof(mixer2), longname, longname, choice) == 0);
		CHECK_STR(mixer, mixer2);
		CHECK(alto_name_participant_node(other, sizeof(other), mixer2, longname, longname) == 0);
		CHECK_STR(buf, other);
	}
	CHECK(alto_name_mixer_input(in, sizeof(in), longname, longname) == 0);
	CHECK(strlen(in) < ALTO_INPUT_NAME_MAX && strlen(in) <= 63);
	check_safe(in, NULL);

	/* the same room a second time in one graph: qualified by the own identity */
	CHECK(alto_name_mixer_node(buf, sizeof(buf), "standup", "bob", 1) == 0);
	CHECK_STR(buf, "alto.standup@bob");
	CHECK(alto_name_participant_node(other, sizeof(other), buf, "alice", NULL) == 0);
	CHECK_STR(other, "alto.standup@bob.alice");
	CHECK(alto_name_send_node(other, sizeof(other), buf) == 0);
	CHECK_STR(other, "alto-send.standup@bob");
	CHECK(alto_name_mixer_node(buf, sizeof(buf), "standup", "bob", 2) == 0);
	CHECK_STR(buf, "alto.standup@bob-2");
	CHECK(alto_name_mixer_node(buf, sizeof(buf), "standup", "bob", ALTO_NAME_CHOICE_MAX + 1) == -ERANGE);
	CHECK(alto_name_mixer_node(buf, sizeof(buf), "standup", NULL, 1) == 0);
	CHECK_STR(buf, "alto.standup@_");
	CHECK(alto_name_send_node(other, sizeof(other), "alto.standup") == 0);
	CHECK_STR(other, "alto-send.standup");
	CHECK(alto_name_send_node(other, sizeof(other), "standup") == -EINVAL);
	/* ... and never the plain name of another room or person: '@' and the
	 * parts' dots cannot come from a sanitized string */
	CHECK(alto_name_mixer_node(buf, sizeof(buf), "standup@bob", "x", 0) == 0);
	CHECK_STR(buf, "alto.standup_bob");
	CHECK(alto_name_mixer_node(buf, sizeof(buf), "standup", "bob.alice@x", 1) == 0);
	CHECK_STR(buf, "alto.standup@bob_alice_x");
	CHECK(alto_name_mixer_node(other, sizeof(other), "standup", "x", 0) == 0);
	CHECK(alto_name_participant_node(buf, sizeof(buf), other, "bob", NULL) == 0);
	CHECK_STR(buf, "alto.standup.bob");		/* a person, not bob's room mixer */
	/* a mixer name that did not come from alto_name_mixer_node */
	memset(longname, 'x', 200);
	longname[200] = '\0';
	CHECK(alto_name_participant_node(buf, sizeof(buf), longname, "a", NULL) == -EINVAL);
	CHECK(alto_name_participant_node(buf, sizeof(buf), NULL, "a", NULL) == -EINVAL);

	/* too small a buffer is refused, never overrun */
	CHECK(alto_name_mixer_node(buf, 10, "r", NULL, 0) == -ENOSPC);
	CHECK(alto_name_participant_node(buf, 10, "alto.r", "a", NULL) == -ENOSPC);
	CHECK(alto_name_send_node(buf, 10, "alto.r") == -ENOSPC);
	CHECK(alto_name_mixer_input(in, 8, "alice", NULL) == -ENOSPC);

	printf("ok\n");
	return 0;
}
