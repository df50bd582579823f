/* Unit tests of rtc/transport json + candidate: RTCIceCandidateInit as LiveKit's SDKs and
 * browsers write it, and what must be refused. */
#include "rtc/transport/candidate.h"
#include "rtc/transport/json.h"
#include "test.h"

#include <errno.h>

static int from_json(const char *json, struct alto_candidate_init *out)
{
	return alto_candidate_init_from_json(json, strlen(json), out);
}

static void test_candidate_parse(void)
{
	struct alto_candidate_init c;

	/* as livekit-client sends it */
	CHECK_INT(from_json("{\"candidate\":\"candidate:2999745851 1 udp 2122260223 192.0.2.2 "
			"57219 typ host generation 0 ufrag o5cL network-id 1\",\"sdpMid\":\"0\","
			"\"sdpMLineIndex\":0,\"usernameFragment\":\"o5cL\"}", &c), 0);
	CHECK_STR(c.candidate, "candidate:2999745851 1 udp 2122260223 192.0.2.2 57219 typ host "
			"generation 0 ufrag o5cL network-id 1");
	CHECK_STR(c.sdp_mid, "0");
	CHECK_INT(c.sdp_mline_index, 0);
	CHECK_STR(c.username_fragment, "o5cL");

	/* nulls, whitespace, member order, escapes, an "a=" prefix */
	CHECK_INT(from_json(" {\n \"usernameFragment\" : null, \"sdpMLineIndex\": null,\n"
			"\"sdpMid\":null, \"candidate\" : \"a=candidate:1 1 UDP 1 1.2.3.4 5 typ"
			"\\u0020host\" } ", &c), 0);
	CHECK_STR(c.candidate, "candidate:1 1 UDP 1 1.2.3.4 5 typ host");
	CHECK_STR(c.sdp_mid, "");
	CHECK_INT(c.sdp_mline_index, -1);
	CHECK_STR(c.username_fragment, "");

	/* end of candidates */
	CHECK_INT(from_json("{\"candidate\":\"\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}", &c), 0);
	CHECK_STR(c.candidate, "");
	/* unknown members and nested values are skipped */
	CHECK_INT(from_json("{\"x\":[1,{\"y\":[true,false,null,-1.5e3]}],\"candidate\":\"\"}", &c), 0);

	CHECK_INT(from_json("", &c), -EINVAL);
	CHECK_INT(from_json("{", &c), -EINVAL);
	CHECK_INT(from_json("[]", &c), -EINVAL);
	CHECK_INT(from_json("{}", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":5}", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":\"hello\"}", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":\"\",\"sdpMid\":5}", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":\"\",\"sdpMLineIndex\":\"0\"}", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":\"\",\"sdpMLineIndex\":-1}", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":\"\",\"sdpMLineIndex\":1.5}", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":\"\",}", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":\"\"} x", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":\"a\\u0000b\"}", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":\"\\ud800\"}", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":\"\\x\"}", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":\"tab\there\"}", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":\"\",\"n\":01}", &c), -EINVAL);
	CHECK_INT(from_json("{\"candidate\":\"\",\"n\":tru}", &c), -EINVAL);

	/* too long for the struct */
	char long_json[2048] = "{\"candidate\":\"candidate:";
	for (int i = 0; i < 600; i++)
		strcat(long_json, "x");
	strcat(long_json, "\"}");
	CHECK_INT(from_json(long_json, &c), -ENOSPC);

	/* nesting is bounded */
	char deep[256] = "{\"candidate\":\"\",\"x\":";
	for (int i = 0; i < 40; i++)
		strcat(deep, "[");
	for (int i = 0; i < 40; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	CHECK_INT(from_json(deep, &c), -EINVAL);
}

static void test_candidate_write(void)
{
	struct alto_candidate_init c = { .sdp_mline_index = 0 }, back;
	char buf[2048];
	int n;

	strcpy(c.candidate, "candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host");
	strcpy(c.sdp_mid, "0");
	strcpy(c.username_fragment, "u\"f\\rag");
	n = alto_candidate_init_to_json(&c, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_STR(buf, "{\"candidate\":\"candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host\","
			"\"sdpMid\":\"0\",\"sdpMLineIndex\":0,\"usernameFragment\":\"u\\\"f\\\\rag\"}");
	CHECK_INT(alto_candidate_init_from_json(buf, (size_t)n, &back), 0);
	CHECK_STR(back.username_fragment, c.username_fragment);
	CHECK_INT(alto_candidate_init_to_json(&c, buf, 20), -ENOSPC);
}

static void test_json(void)
{
	char out[64];
	int64_t v;
	const char *j = "{\"type\":\"answer\",\"id\":4294967296,\"neg\":-3,\"u\":\"\\u00e9\\ud83d\\ude00\","
		"\"type\":\"offer\"}";

	CHECK_INT(alto_rtc_json_get_string(j, strlen(j), "type", out, sizeof(out)), 5);
	CHECK_STR(out, "offer");
	CHECK_INT(alto_rtc_json_get_int(j, strlen(j), "id", &v), 0);
	CHECK(v == 4294967296ll);
	CHECK_INT(alto_rtc_json_get_int(j, strlen(j), "neg", &v), 0);
	CHECK(v == -3);
	CHECK_INT(alto_rtc_json_get_string(j, strlen(j), "u", out, sizeof(out)), 6);
	CHECK_STR(out, "\xc3\xa9\xf0\x9f\x98\x80");
	CHECK_INT(alto_rtc_json_get_string(j, strlen(j), "missing", out, sizeof(out)), -ENOENT);
	CHECK_INT(alto_rtc_json_get_string(j, strlen(j), "id", out, sizeof(out)), -EINVAL);
	CHECK_INT(alto_rtc_json_get_string(j, strlen(j), "type", out, 5), -ENOSPC);
	CHECK_INT(alto_rtc_json_get_int(j, strlen(j), "type", &v), -EINVAL);
	CHECK_INT(alto_rtc_json_member_type(j, strlen(j), "neg"), ALTO_RTC_JSON_NUMBER);
	CHECK_INT(alto_rtc_json_get_int("{\"n\":99999999999999999999}", 25, "n", &v), -EINVAL);
	CHECK_INT(alto_rtc_json_quote("a\x01\n", out, sizeof(out)), 11);
	CHECK_STR(out, "\"a\\u0001\\n\"");
	CHECK_INT(alto_rtc_json_quote("abc", out, 5), -ENOSPC);
	CHECK_INT(alto_rtc_json_validate("1", 1), 0);
	CHECK_INT(alto_rtc_json_validate("-", 1), -EINVAL);
	CHECK_INT(alto_rtc_json_validate("\"abc", 4), -EINVAL);
}

int main(void)
{
	RUN(test_candidate_parse);
	RUN(test_candidate_write);
	RUN(test_json);
	fprintf(stderr, "ok\n");
	return 0;
}
