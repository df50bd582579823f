/* alto.mixer through its SPA interface: what comes out of the outputs for
 * what goes into the inputs, with volumes, mutes, underruns, short buffers,
 * ports coming and going, 256 inputs, and what the metrics say about it.
 * Runs on one thread with an inline data loop (test-mixer-threads.c has the
 * real one). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <spa/param/audio/format-utils.h>
#include <spa/param/props.h>
#include <spa/pod/builder.h>

#include "mixer-harness.h"

#define Q 256	/* quantum of most tests */
#define RAMP 240	/* frames of a volume ramp: 5 ms at 48 kHz (the harness's rate) */

static const char *const stereo_props[] = {
	"node.name", "room-test",
	"media.class", "Audio/Sink",
	"node.description", "LiveKit: test",
	NULL,
};

static void open_stereo(struct harness *h, uint32_t cpu_flags)
{
	CHECK_INT(h_open(h, cpu_flags, NULL, stereo_props), ==, 0);
	h_set_quantum(h, Q);
	CHECK_INT(h_connect_output(h, 0), ==, 0);
	CHECK_INT(h_connect_output(h, 1), ==, 0);
}

static uint32_t add_input(struct harness *h, const char *name)
{
	uint32_t first = SPA_ID_INVALID;
	CHECK_INT(alto_mixer_add_input(h->control, name, &first), ==, 0);
	return first;
}

static void test_factory_and_properties(void)
{
	struct harness h;
	struct alto_mixer_node_metrics nm;
	uint32_t a;

	open_stereo(&h, 0);
	CHECK(strstr(h.node_props, "node.name=room-test;") != NULL);
	CHECK(strstr(h.node_props, "media.class=Audio/Sink;") != NULL);
	CHECK(strstr(h.node_props, "node.description=LiveKit: test;") != NULL);
	CHECK(strstr(h.node_props, "audio.channels=2;") != NULL);
	CHECK(strstr(h.node_props, "audio.position=FL,FR;") != NULL);

	a = add_input(&h, "alice");
	CHECK_INT(a, ==, 0);
	CHECK(h.in_info[0].exists && h.in_info[1].exists);
	CHECK(strcmp(h.in_info[0].name, "in_alice_FL") == 0);
	CHECK(strcmp(h.in_info[1].name, "in_alice_FR") == 0);
	CHECK(strcmp(h.in_info[0].input, "alice") == 0);
	CHECK(strcmp(h.in_info[1].channel, "FR") == 0);
	CHECK_INT(add_input(&h, "bob"), ==, 2);

	CHECK_INT(alto_mixer_get_node_metrics(h.control, &nm), ==, 0);
	CHECK_INT(nm.n_inputs, ==, 4);
	CHECK_INT(nm.n_channels, ==, 2);
	CHECK(strcmp(nm.kernel, "c") == 0);	/* no CPU flags given */

	/* the node describes its mix: F32P, 2 channels FL FR, 48 kHz */
	{
		struct spa_audio_info_raw raw = { 0 };
		h.have_param = false;
		CHECK_INT(spa_node_enum_params(h.node, 0, SPA_PARAM_EnumFormat, 0, 1, NULL), ==, 0);
		CHECK(h.have_param);
		CHECK_INT(spa_format_audio_raw_parse((struct spa_pod *)h.param_buf, &raw), >=, 0);
		CHECK_INT(raw.format, ==, SPA_AUDIO_FORMAT_F32P);
		CHECK_INT(raw.channels, ==, 2);
		CHECK_INT(raw.rate, ==, 48000);
		CHECK_INT(raw.position[0], ==, SPA_AUDIO_CHANNEL_FL);
		CHECK_INT(raw.position[1], ==, SPA_AUDIO_CHANNEL_FR);
	}

	CHECK_INT(alto_mixer_remove_input(h.control, "alice"), ==, 0);
	CHECK(!h.in_info[0].exists && !h.in_info[1].exists);
	/* the freed ids are reused by the next input */
	CHECK_INT(add_input(&h, "carol"), ==, 0);
	h_close(&h);
}

static void test_layouts(void)
{
	struct harness h;
	static const char *const mono[] = { "audio.channels", "1", "alto.mixer.inputs", "[ a b ]", NULL };
	static const char *const three[] = { "audio.position", "[ FL FR LFE ]", NULL };
	static const char *const list[] = { "audio.position", "FL,FR", "alto.mixer.inputs", "x,y", NULL };

	CHECK_INT(h_open(&h, 0, NULL, mono), ==, 0);
	CHECK(strstr(h.node_props, "audio.position=MONO;") != NULL);
	CHECK(strcmp(h.in_info[0].name, "in_a_MONO") == 0);
	CHECK(strcmp(h.in_info[1].name, "in_b_MONO") == 0);
	CHECK(!h.in_info[2].exists);
	h_set_quantum(&h, Q);
	CHECK_INT(h_connect_output(&h, 0), ==, 0);
	CHECK_INT(h_connect_output(&h, 1), <, 0);	/* no second output */
	h_close(&h);

	CHECK_INT(h_open(&h, 0, NULL, three), ==, 0);
	CHECK(strstr(h.node_props, "audio.position=FL,FR,LFE;") != NULL);
	CHECK_INT(add_input(&h, "a"), ==, 0);
	CHECK(strcmp(h.in_info[2].name, "in_a_LFE") == 0);
	CHECK_INT(add_input(&h, "b"), ==, 3);
	h_close(&h);

	CHECK_INT(h_open(&h, 0, NULL, list), ==, 0);
	CHECK(strcmp(h.in_info[2].name, "in_y_FL") == 0);
	h_close(&h);
}

/* two inputs on FL, nothing on FR: FL is the exact float sum, FR silence */
static void test_sum(uint32_t cpu_flags)
{
	struct harness h;
	float a[Q], b[Q], want;
	const float *out;
	uint32_t n, i, pa, pb;
	bool empty;

	open_stereo(&h, cpu_flags);
	pa = add_input(&h, "a");
	pb = add_input(&h, "b");
	for (i = 0; i < 4; i++)
		CHECK_INT(h_connect_input(&h, i, 0), ==, 0);

	for (i = 0; i < Q; i++) {
		a[i] = sinf(i * 0.05f) * 0.5f;
		b[i] = (float)((int)(i % 17) - 8) / 16.0f;
	}
	h_feed(&h, pa, a, Q);
	h_feed(&h, pb, b, Q);
	CHECK_INT(h_process(&h), ==, SPA_STATUS_HAVE_DATA | SPA_STATUS_NEED_DATA);

	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out != NULL);
	CHECK_INT(n, ==, Q);
	CHECK(!empty);
	for (i = 0; out && i < Q; i++) {
		want = a[i] + b[i];
		if (out[i] != want) {
			CHECK_FLOAT(out[i], want, 0);
			break;
		}
	}
	out = h_take_output(&h, 1, &n, &empty);
	CHECK(out != NULL);
	CHECK_INT(n, ==, Q);
	CHECK(empty);
	for (i = 0; out && i < Q; i++)
		if (out[i] != 0.0f) {
			CHECK_FLOAT(out[i], 0.0, 0);
			break;
		}
	/* the inputs were consumed: upstream is asked for more */
	CHECK_INT(h.inputs[pa].io.status, ==, SPA_STATUS_NEED_DATA);
	h_close(&h);
}

static void test_volume_and_mute(void)
{
	struct harness h;
	struct alto_mixer_port_metrics m;
	const float *out;
	float vol;
	bool mute, empty;
	uint32_t n, i;

	open_stereo(&h, 0);
	add_input(&h, "a");
	add_input(&h, "b");
	for (i = 0; i < 4; i++)
		CHECK_INT(h_connect_input(&h, i, 0), ==, 0);

	CHECK_INT(h_set_port_volume(&h, 0, 0.5f, -1), ==, 0);
	CHECK_INT(h_set_port_volume(&h, 2, 0.25f, -1), ==, 0);
	h_feed_const(&h, 0, 0.5f, Q);
	h_feed_const(&h, 2, 1.0f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out && n == Q);
	CHECK_FLOAT(out[0], 0.5 * 0.5 + 0.25 * 1.0, 1e-7);
	CHECK_FLOAT(out[Q - 1], 0.5, 1e-7);

	/* mute b: only a is heard (once b's 5 ms = 240 frames ramp is over);
	 * b still shows its level in the metrics */
	CHECK_INT(h_set_port_volume(&h, 2, H_KEEP_VOLUME, 1), ==, 0);
	h_feed_const(&h, 0, 0.5f, Q);
	h_feed_const(&h, 2, 1.0f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out && n == Q);
	CHECK_FLOAT(out[RAMP], 0.25, 1e-7);
	CHECK_FLOAT(out[Q - 1], 0.25, 1e-7);

	CHECK_INT(h_get_port_props(&h, 2, &vol, &mute, &m), ==, 0);
	CHECK_FLOAT(vol, 0.25, 1e-7);
	CHECK(mute);
	CHECK_FLOAT(m.peak, 1.0, 0);
	CHECK_INT(m.frames_mixed, ==, 2 * Q);

	/* unmute restores the volume set before */
	CHECK_INT(h_set_port_volume(&h, 2, H_KEEP_VOLUME, 0), ==, 0);
	h_feed_const(&h, 0, 0.5f, Q);
	h_feed_const(&h, 2, 1.0f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out);
	CHECK_FLOAT(out[Q - 1], 0.5, 1e-7);

	/* the same through node Props params, by input name and by port id */
	CHECK_INT(h_set_params(&h, (const char *const[]){ "alto.input.a.volume", "f:2.0",
			"alto.port.2.mute", "b:1", NULL }), ==, 0);
	CHECK_INT(h_get_port_props(&h, 0, &vol, &mute, &m), ==, 0);
	CHECK_FLOAT(vol, 2.0, 0);
	CHECK_INT(h_get_port_props(&h, 1, &vol, &mute, &m), ==, 0);
	CHECK_FLOAT(vol, 2.0, 0);	/* a's FR too */
	h_feed_const(&h, 0, 0.5f, Q);
	h_feed_const(&h, 2, 1.0f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out);
	CHECK_FLOAT(out[Q - 1], 1.0, 1e-7);

	/* channelVolumes with one value, the way channel-minded clients set a mono port */
	{
		uint8_t buf[256] SPA_ALIGNED(8);
		struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
		const float one[1] = { 0.75f }, two[2] = { 0.5f, 0.5f };
		struct spa_pod *p = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Props, SPA_PARAM_Props,
				SPA_PROP_channelVolumes, SPA_POD_Array(sizeof(float), SPA_TYPE_Float, 1, one));
		CHECK_INT(spa_node_port_set_param(h.node, SPA_DIRECTION_INPUT, 1, SPA_PARAM_Props, 0, p), ==, 0);
		CHECK_INT(h_get_port_props(&h, 1, &vol, &mute, &m), ==, 0);
		CHECK_FLOAT(vol, 0.75, 0);
		b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
		p = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Props, SPA_PARAM_Props,
				SPA_PROP_channelVolumes, SPA_POD_Array(sizeof(float), SPA_TYPE_Float, 2, two));
		CHECK_INT(spa_node_port_set_param(h.node, SPA_DIRECTION_INPUT, 1, SPA_PARAM_Props, 0, p), ==, -EINVAL);
	}

	/* an Int volume (what pw-cli makes of "1") is taken as a number */
	CHECK_INT(h_set_params(&h, (const char *const[]){ "alto.input.a.volume", "i:1", NULL }), ==, 0);
	CHECK_INT(h_get_port_props(&h, 0, &vol, &mute, &m), ==, 0);
	CHECK_FLOAT(vol, 1.0, 0);
	h_close(&h);
}

static void test_master_volume(void)
{
	struct harness h;
	uint8_t buf[512] SPA_ALIGNED(8);
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const float cv[2] = { 1.0f, 0.25f };
	float vol, vols[8];
	uint32_t n, nv = 8;
	bool mute, empty;
	const float *out;

	open_stereo(&h, 0);
	add_input(&h, "a");
	CHECK_INT(h_connect_input(&h, 0, 0), ==, 0);
	CHECK_INT(h_connect_input(&h, 1, 0), ==, 0);

	struct spa_pod *p = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Props, SPA_PARAM_Props,
			SPA_PROP_volume, SPA_POD_Float(0.5f),
			SPA_PROP_channelVolumes, SPA_POD_Array(sizeof(float), SPA_TYPE_Float, 2, cv));
	CHECK_INT(h_set_node_props(&h, p), ==, 0);
	CHECK_INT(h_get_node_props(&h, &vol, &mute, vols, &nv), ==, 0);
	CHECK_FLOAT(vol, 0.5, 0);
	CHECK(!mute);
	CHECK_INT(nv, ==, 2);
	CHECK_FLOAT(vols[1], 0.25, 0);

	h_feed_const(&h, 0, 0.8f, Q);
	h_feed_const(&h, 1, 0.8f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out);
	CHECK_FLOAT(out[0], 0.4, 1e-7);
	out = h_take_output(&h, 1, &n, &empty);
	CHECK(out);
	CHECK_FLOAT(out[0], 0.1, 1e-7);

	b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	p = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Props, SPA_PARAM_Props,
			SPA_PROP_mute, SPA_POD_Bool(true));
	CHECK_INT(h_set_node_props(&h, p), ==, 0);
	h_feed_const(&h, 0, 0.8f, Q);
	h_feed_const(&h, 1, 0.8f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out);
	/* the master mute glides down too, then is silence */
	CHECK(out && out[0] < 0.4f && out[0] > 0.39f);
	CHECK_FLOAT(out[RAMP - 1], 0.0, 0);
	CHECK_FLOAT(out[Q - 1], 0.0, 0);
	/* muted is not empty: data came in, it was mixed at gain 0 */
	CHECK(!empty);
	h_feed_const(&h, 0, 0.8f, Q);
	h_feed_const(&h, 1, 0.8f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out);
	CHECK_FLOAT(out[0], 0.0, 0);
	CHECK(!empty);
	h_close(&h);
}

/* the clipping policy: none. Floats above 1 leave the mixer as they are. */
static void test_no_clipping(uint32_t cpu_flags)
{
	struct harness h;
	const float *out;
	uint32_t n;
	bool empty;

	open_stereo(&h, cpu_flags);
	add_input(&h, "a");
	add_input(&h, "b");
	for (uint32_t i = 0; i < 4; i++)
		CHECK_INT(h_connect_input(&h, i, 0), ==, 0);
	h_feed_const(&h, 0, 0.8f, Q);
	h_feed_const(&h, 2, 0.8f, Q);
	h_feed_const(&h, 1, -0.9f, Q);
	h_feed_const(&h, 3, -0.9f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out);
	CHECK_FLOAT(out[0], 1.6, 1e-6);
	CHECK_FLOAT(out[Q - 1], 1.6, 1e-6);
	out = h_take_output(&h, 1, &n, &empty);
	CHECK(out);
	CHECK_FLOAT(out[100], -1.8, 1e-6);
	h_close(&h);
}

static void test_underruns(void)
{
	struct harness h;
	struct alto_mixer_port_metrics m;
	const float *out;
	uint32_t n, i;
	bool empty;
	int warnings;

	open_stereo(&h, 0);
	add_input(&h, "a");
	add_input(&h, "b");
	add_input(&h, "unlinked");	/* ports 4, 5: never connected */
	for (i = 0; i < 4; i++)
		CHECK_INT(h_connect_input(&h, i, 0), ==, 0);
	warnings = h.warnings;

	/* 3 cycles: a always has data, b only in the second */
	for (i = 0; i < 3; i++) {
		h_feed_const(&h, 0, 0.25f, Q);
		if (i == 1)
			h_feed_const(&h, 2, 0.5f, Q);
		h_process(&h);
		out = h_take_output(&h, 0, &n, &empty);
		CHECK(out && !empty);
		CHECK_FLOAT(out[0], i == 1 ? 0.75 : 0.25, 1e-7);
		h_take_output(&h, 1, &n, &empty);
	}
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 0, &m), ==, 0);
	CHECK_INT(m.underruns, ==, 0);
	CHECK_INT(m.frames_mixed, ==, 3 * Q);
	CHECK_FLOAT(m.peak, 0.25, 0);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 2, &m), ==, 0);
	CHECK_INT(m.underruns, ==, 2);
	CHECK_INT(m.frames_mixed, ==, Q);
	CHECK_FLOAT(m.peak, 0.0, 0);	/* silence in the last cycle */
	/* FR ports never had data: one underrun per cycle each */
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 1, &m), ==, 0);
	CHECK_INT(m.underruns, ==, 3);
	/* an unlinked port is not expected to deliver: no underruns */
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 4, &m), ==, 0);
	CHECK_INT(m.underruns, ==, 0);

	/* an EMPTY chunk is no data either */
	h_feed_const(&h, 0, 0.25f, Q);
	h.inputs[0].chunk.flags = SPA_CHUNK_FLAG_EMPTY;
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out && empty);
	CHECK_INT(n, ==, Q);
	CHECK_FLOAT(out[0], 0.0, 0);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 0, &m), ==, 0);
	CHECK_INT(m.underruns, ==, 1);

	/* the same numbers through the port's Props, as a PipeWire client reads them */
	float vol;
	bool mute;
	CHECK_INT(h_get_port_props(&h, 2, &vol, &mute, &m), ==, 0);
	CHECK_INT(m.underruns, ==, 3);
	CHECK_INT(m.frames_mixed, ==, Q);

	/* process() logs nothing above trace, whatever happened */
	CHECK_INT(h.warnings, ==, warnings);
	h_close(&h);
}

static void test_short_buffers(void)
{
	struct harness h;
	struct alto_mixer_port_metrics m;
	const float *out;
	uint32_t n, i;
	bool empty;

	open_stereo(&h, SPA_CPU_FLAG_SSE2);
	add_input(&h, "a");
	add_input(&h, "b");
	for (i = 0; i < 4; i++)
		CHECK_INT(h_connect_input(&h, i, 0), ==, 0);

	/* a has the whole quantum, b only 100 frames: b's part is mixed, then silence */
	h_feed_const(&h, 0, 0.25f, Q);
	h_feed_const(&h, 2, 0.5f, 100);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out);
	CHECK_INT(n, ==, Q);
	CHECK_FLOAT(out[0], 0.75, 0);
	CHECK_FLOAT(out[99], 0.75, 0);
	CHECK_FLOAT(out[100], 0.25, 0);
	CHECK_FLOAT(out[Q - 1], 0.25, 0);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 2, &m), ==, 0);
	CHECK_INT(m.short_buffers, ==, 1);
	CHECK_INT(m.frames_mixed, ==, 100);
	CHECK_INT(m.underruns, ==, 0);

	/* a longer chunk than the quantum: only the quantum is taken */
	h_feed_const(&h, 0, 0.25f, 2 * Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out);
	CHECK_INT(n, ==, Q);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 0, &m), ==, 0);
	CHECK_INT(m.frames_mixed, ==, 2 * Q);
	CHECK_INT(m.short_buffers, ==, 0);
	h_close(&h);
}

/* without position io the cycle is as long as the longest input */
static void test_without_position(void)
{
	struct harness h;
	const float *out;
	uint32_t n;
	bool empty;

	CHECK_INT(h_open(&h, 0, NULL, (const char *const[]){ "audio.channels", "1", NULL }), ==, 0);
	CHECK_INT(h_connect_output(&h, 0), ==, 0);
	add_input(&h, "a");
	add_input(&h, "b");
	CHECK_INT(h_connect_input(&h, 0, 0), ==, 0);
	CHECK_INT(h_connect_input(&h, 1, 0), ==, 0);
	h_feed_const(&h, 0, 0.5f, 300);
	h_feed_const(&h, 1, 0.25f, 120);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out);
	CHECK_INT(n, ==, 300);
	CHECK_FLOAT(out[0], 0.75, 0);
	CHECK_FLOAT(out[299], 0.5, 0);
	h_close(&h);
}

/* a port removed between cycles is out of the mix and its io is never touched again */
static void test_remove_while_mixing(void)
{
	struct harness h;
	const float *out;
	uint32_t n, i;
	bool empty;

	open_stereo(&h, SPA_CPU_FLAG_SSE2);
	add_input(&h, "a");
	add_input(&h, "b");
	add_input(&h, "c");
	for (i = 0; i < 6; i++)
		CHECK_INT(h_connect_input(&h, i, 0), ==, 0);

	for (i = 0; i < 6; i++) {
		h_feed_const(&h, 0, 1.0f, Q);
		h_feed_const(&h, 2, 2.0f, Q);
		h_feed_const(&h, 4, 4.0f, Q);
		if (i == 2)
			CHECK_INT(alto_mixer_remove_input(h.control, "b"), ==, 0);
		if (i == 4)
			CHECK_INT(spa_node_remove_port(h.node, SPA_DIRECTION_INPUT, 4), ==, 0);
		h_process(&h);
		out = h_take_output(&h, 0, &n, &empty);
		CHECK(out);
		CHECK_FLOAT(out[Q / 2], i < 2 ? 7.0 : i < 4 ? 5.0 : 1.0, 0);
		h_take_output(&h, 1, &n, &empty);
	}
	/* the removed ports' io areas were left alone after removal */
	CHECK_INT(h.inputs[2].io.status, ==, SPA_STATUS_HAVE_DATA);
	CHECK_INT(h.inputs[4].io.status, ==, SPA_STATUS_HAVE_DATA);
	CHECK_INT(h.inputs[0].io.status, ==, SPA_STATUS_NEED_DATA);

	/* unlinking (io and buffers cleared) takes a port out of the mix too */
	CHECK_INT(h_disconnect_input(&h, 0), ==, 0);
	h_feed_const(&h, 0, 1.0f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out && empty);
	h_close(&h);
}

/* 256 participants, stereo: 512 ports, every one mixed */
static void test_256_inputs(uint32_t cpu_flags)
{
	struct harness h;
	struct alto_mixer_node_metrics nm;
	struct alto_mixer_port_metrics m;
	char name[32];
	const float *out;
	double want_l = 0, want_r = 0;
	uint32_t n, i, k;
	bool empty;

	open_stereo(&h, cpu_flags);
	for (k = 0; k < 256; k++) {
		snprintf(name, sizeof(name), "p%u", k);
		CHECK_INT(add_input(&h, name), ==, 2 * k);
	}
	for (i = 0; i < 512; i++)
		CHECK_INT(h_connect_input(&h, i, 0), ==, 0);
	CHECK_INT(alto_mixer_get_node_metrics(h.control, &nm), ==, 0);
	CHECK_INT(nm.n_inputs, ==, 512);

	for (k = 0; k < 256; k++) {
		/* every 16th participant is silent this cycle */
		if (k % 16 == 5)
			continue;
		h_feed_const(&h, 2 * k, (float)(k + 1) / 4096.0f, Q);
		h_feed_const(&h, 2 * k + 1, -(float)(k % 7) / 64.0f, Q);
		want_l += (double)(k + 1) / 4096.0;
		want_r -= (double)(k % 7) / 64.0;
	}
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out && n == Q);
	CHECK_FLOAT(out[0], want_l, 1e-4);
	CHECK_FLOAT(out[Q - 1], want_l, 1e-4);
	out = h_take_output(&h, 1, &n, &empty);
	CHECK(out);
	CHECK_FLOAT(out[17], want_r, 1e-4);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 2 * 5, &m), ==, 0);
	CHECK_INT(m.underruns, ==, 1);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 2 * 255 + 1, &m), ==, 0);
	CHECK_INT(m.frames_mixed, ==, Q);
	h_close(&h);
}

/* every kernel the plugin can pick gives the same mix, bit for bit */
static void test_kernels_agree(void)
{
	static const uint32_t flags[] = { 0, SPA_CPU_FLAG_SSE | SPA_CPU_FLAG_SSE2,
		SPA_CPU_FLAG_SSE | SPA_CPU_FLAG_SSE2 | SPA_CPU_FLAG_AVX | SPA_CPU_FLAG_AVX2 };
	static const char *const names[] = { "c", "sse2", "avx2" };
	float *ref = calloc(2000, sizeof(float)), in[5][1000];
	struct alto_mixer_node_metrics nm;
	uint32_t f, k, i, n;
	bool empty;

	srand(7);
	for (k = 0; k < 5; k++)
		for (i = 0; i < 1000; i++)
			in[k][i] = (float)(rand() % 65536) / 32768.0f - 1.0f;

	for (f = 0; f < SPA_N_ELEMENTS(flags); f++) {
		struct harness h;
		const float *out;
#if defined(__x86_64__)
		if (f == 2 && !__builtin_cpu_supports("avx2"))
			continue;
#else
		if (f > 0)
			continue;
#endif
		CHECK_INT(h_open(&h, flags[f], NULL, (const char *const[]){ "audio.channels", "1", NULL }), ==, 0);
		CHECK_INT(alto_mixer_get_node_metrics(h.control, &nm), ==, 0);
		CHECK(strcmp(nm.kernel, names[f]) == 0);
		h_set_quantum(&h, 1000);
		CHECK_INT(h_connect_output(&h, 0), ==, 0);
		for (k = 0; k < 5; k++) {
			char name[8];
			snprintf(name, sizeof(name), "k%u", k);
			add_input(&h, name);
			CHECK_INT(h_connect_input(&h, k, 0), ==, 0);
			h_set_port_volume(&h, k, 0.1f + 0.3f * k, -1);
			h_feed(&h, k, in[k], 1000);
		}
		h_process(&h);
		out = h_take_output(&h, 0, &n, &empty);
		CHECK(out && n == 1000);
		if (out && f == 0)
			memcpy(ref, out, 1000 * sizeof(float));
		else if (out)
			CHECK(memcmp(ref, out, 1000 * sizeof(float)) == 0);

		/* second cycle: two volume ramps, a mute ramp and a short input
		 * go around the kernel; the sum must still be the same */
		h_set_port_volume(&h, 1, 2.5f, -1);
		h_set_port_volume(&h, 3, 0.05f, -1);
		h_set_port_volume(&h, 2, H_KEEP_VOLUME, 1);
		for (k = 0; k < 5; k++)
			h_feed(&h, k, in[(k + 1) % 5], k == 4 ? 777 : 1000);
		h_process(&h);
		out = h_take_output(&h, 0, &n, &empty);
		CHECK(out && n == 1000);
		if (out && f == 0)
			memcpy(ref + 1000, out, 1000 * sizeof(float));
		else if (out)
			CHECK(memcmp(ref + 1000, out, 1000 * sizeof(float)) == 0);
		h_close(&h);
	}
	free(ref);
}

static void test_kernel_option(void)
{
	struct harness h;
	struct alto_mixer_node_metrics nm;

	CHECK_INT(h_open(&h, SPA_CPU_FLAG_SSE2, NULL,
			(const char *const[]){ "alto.mixer.kernel", "c", NULL }), ==, 0);
	CHECK_INT(alto_mixer_get_node_metrics(h.control, &nm), ==, 0);
	CHECK(strcmp(nm.kernel, "c") == 0);
	h_close(&h);
	/* a kernel the CPU cannot run is refused, not crashed into */
	CHECK_INT(h_open(&h, 0, NULL, (const char *const[]){ "alto.mixer.kernel", "avx2", NULL }), ==, -ENOTSUP);
	h_close(&h);
	CHECK_INT(h_open(&h, 0, NULL, (const char *const[]){ "alto.mixer.kernel", "mmx", NULL }), ==, -ENOTSUP);
	h_close(&h);
}

static void test_params_add_remove(void)
{
	struct harness h;
	float vol;
	bool mute;
	struct alto_mixer_port_metrics m;

	open_stereo(&h, 0);
	CHECK_INT(h_set_params(&h, (const char *const[]){ "alto.add-input", "s:alice",
			"alto.add-input", "s:bob", NULL }), ==, 0);
	CHECK(strcmp(h.in_info[2].name, "in_bob_FL") == 0);
	CHECK_INT(h_set_params(&h, (const char *const[]){ "alto.input.bob.volume", "f:0.3",
			"alto.remove-input", "s:alice", NULL }), ==, 0);
	CHECK(!h.in_info[0].exists);
	CHECK_INT(h_get_port_props(&h, 3, &vol, &mute, &m), ==, 0);
	CHECK_FLOAT(vol, 0.3, 1e-7);
	/* unknown keys (another client's) are ignored */
	CHECK_INT(h_set_params(&h, (const char *const[]){ "monitor.channel-volumes", "b:1", NULL }), ==, 0);
	h_close(&h);
}

/* what the fake CPU interface may claim on this machine */
static uint32_t best_cpu_flags(void)
{
	uint32_t flags = 0;
#if defined(__x86_64__)
	flags = SPA_CPU_FLAG_SSE | SPA_CPU_FLAG_SSE2;
	if (__builtin_cpu_supports("avx2"))
		flags |= SPA_CPU_FLAG_AVX | SPA_CPU_FLAG_AVX2;
#endif
	return flags;
}

/* A volume change glides over 5 ms (240 frames at 48 kHz) instead of
 * jumping: a step from 1 to 0.5 on a constant input comes out as a straight
 * line from 1 down to exactly 0.5, then 0.5. */
static void test_volume_ramp(void)
{
	struct harness h;
	const float *out;
	float line[4 * 64 + 64], prev;
	uint32_t n, i, c;
	bool empty;

	CHECK_INT(h_open(&h, best_cpu_flags(), NULL,
			(const char *const[]){ "audio.channels", "1", NULL }), ==, 0);
	h_set_quantum(&h, Q);
	CHECK_INT(h_connect_output(&h, 0), ==, 0);
	add_input(&h, "a");
	CHECK_INT(h_connect_input(&h, 0, 0), ==, 0);

	/* the first cycle of a port starts at its volume: nothing to glide from */
	CHECK_INT(h_set_port_volume(&h, 0, 0.75f, -1), ==, 0);
	h_feed_const(&h, 0, 1.0f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out && n == Q);
	CHECK_FLOAT(out ? out[0] : -1, 0.75, 0);
	CHECK_INT(h_set_port_volume(&h, 0, 1.0f, -1), ==, 0);
	h_feed_const(&h, 0, 1.0f, Q);
	h_process(&h);
	CHECK(h_take_output(&h, 0, &n, &empty) != NULL);

	/* 1 -> 0.5 within one quantum: every step 0.5/240, no jump */
	CHECK_INT(h_set_port_volume(&h, 0, 0.5f, -1), ==, 0);
	h_feed_const(&h, 0, 1.0f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out && n == Q);
	if (out) {
		CHECK(out[0] < 1.0f && out[0] > 0.99f);
		for (i = 1; i < Q; i++) {
			if (!(out[i] <= out[i - 1] && out[i - 1] - out[i] <= 0.5f / RAMP + 1e-6f)) {
				CHECK_FLOAT(out[i - 1] - out[i], 0.5 / RAMP, 1e-6);
				break;
			}
		}
		CHECK_FLOAT(out[RAMP / 2], 0.75, 0.005);
		CHECK_FLOAT(out[RAMP - 1], 0.5, 0);
		CHECK_FLOAT(out[Q - 1], 0.5, 0);
	}

	/* a quantum of 64: the ramp 0.5 -> 1 spans four cycles, without a
	 * step at the cycle boundaries */
	h_set_quantum(&h, 64);
	CHECK_INT(h_set_port_volume(&h, 0, 1.0f, -1), ==, 0);
	for (c = 0; c < 5; c++) {
		h_feed_const(&h, 0, 1.0f, 64);
		h_process(&h);
		out = h_take_output(&h, 0, &n, &empty);
		CHECK(out && n == 64);
		if (out)
			memcpy(line + c * 64, out, 64 * sizeof(float));
	}
	prev = 0.5f;
	for (i = 0; i < 5 * 64; i++) {
		if (!(line[i] >= prev && line[i] - prev <= 0.5f / RAMP + 1e-6f)) {
			fprintf(stderr, "frame %u: %.9g after %.9g\n", i, line[i], prev);
			CHECK(!"a smooth rise from 0.5 to 1");
			break;
		}
		prev = line[i];
	}
	CHECK_FLOAT(line[RAMP - 1], 1.0, 0);
	CHECK_FLOAT(line[5 * 64 - 1], 1.0, 0);

	/* a change in the middle of a ramp turns from where the gain is */
	CHECK_INT(h_set_port_volume(&h, 0, 0.0f, -1), ==, 0);
	h_feed_const(&h, 0, 1.0f, 64);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out != NULL);
	prev = out ? out[63] : 0.0f;
	CHECK(prev > 0.7f && prev < 0.75f);
	CHECK_INT(h_set_port_volume(&h, 0, 1.0f, -1), ==, 0);
	h_feed_const(&h, 0, 1.0f, 64);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out != NULL);
	if (out) {
		CHECK(out[0] > prev && out[0] - prev < 0.3f / RAMP + 1e-6f);
		for (i = 1; i < 64; i++)
			if (!(out[i] > out[i - 1])) {
				CHECK(!"rising again");
				break;
			}
	}
	/* the master gain glides too: channel volume 0.25 */
	for (c = 0; c < 4; c++) {
		h_feed_const(&h, 0, 1.0f, 64);
		h_process(&h);
		CHECK(h_take_output(&h, 0, &n, &empty) != NULL);
	}
	{
		uint8_t buf[256] SPA_ALIGNED(8);
		struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
		const float quarter[1] = { 0.25f };
		struct spa_pod *p = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Props, SPA_PARAM_Props,
				SPA_PROP_channelVolumes, SPA_POD_Array(sizeof(float), SPA_TYPE_Float, 1, quarter));
		CHECK_INT(h_set_node_props(&h, p), ==, 0);
	}
	h_feed_const(&h, 0, 1.0f, 64);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out && out[0] < 1.0f && out[0] > 0.99f && out[63] > 0.75f);
	h_close(&h);

	/* alto.mixer.ramp-ms=0: the old behaviour, a change applies at once */
	CHECK_INT(h_open(&h, 0, NULL, (const char *const[]){ "audio.channels", "1",
			"alto.mixer.ramp-ms", "0", NULL }), ==, 0);
	h_set_quantum(&h, Q);
	CHECK_INT(h_connect_output(&h, 0), ==, 0);
	add_input(&h, "a");
	CHECK_INT(h_connect_input(&h, 0, 0), ==, 0);
	h_feed_const(&h, 0, 1.0f, Q);
	h_process(&h);
	CHECK(h_take_output(&h, 0, &n, &empty) != NULL);
	CHECK_INT(h_set_port_volume(&h, 0, 0.5f, -1), ==, 0);
	h_feed_const(&h, 0, 1.0f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out && out[0] == 0.5f && out[Q - 1] == 0.5f);
	h_close(&h);

	/* bad values refuse init */
	CHECK_INT(h_open(&h, 0, NULL, (const char *const[]){ "alto.mixer.ramp-ms", "5000", NULL }), ==, -EINVAL);
	h_close(&h);
	CHECK_INT(h_open(&h, 0, NULL, (const char *const[]){ "alto.mixer.ramp-ms", "-1", NULL }), ==, -EINVAL);
	h_close(&h);
	CHECK_INT(h_open(&h, 0, NULL, (const char *const[]){ "alto.mixer.refresh-ms", "1", NULL }), ==, -EINVAL);
	h_close(&h);
}

/* Inputs are taken and metered whether or not anybody takes the mix: an
 * input's metrics describe what it sends (a room UI shows who is talking
 * while the mix goes nowhere). */
static void test_metrics_without_listener(void)
{
	struct harness h;
	struct alto_mixer_port_metrics m;
	const float *out;
	uint32_t n;
	bool empty;

	CHECK_INT(h_open(&h, best_cpu_flags(), NULL, stereo_props), ==, 0);
	h_set_quantum(&h, Q);
	add_input(&h, "a");
	CHECK_INT(h_connect_input(&h, 0, 0), ==, 0);
	CHECK_INT(h_connect_input(&h, 1, 0), ==, 0);

	/* no output linked at all */
	h_feed_const(&h, 0, 0.25f, Q);
	h_feed_const(&h, 1, -0.5f, Q / 2);
	CHECK_INT(h_process(&h), ==, SPA_STATUS_NEED_DATA);
	CHECK_INT(h.inputs[0].io.status, ==, SPA_STATUS_NEED_DATA);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 0, &m), ==, 0);
	CHECK_INT(m.frames_mixed, ==, Q);
	CHECK_FLOAT(m.peak, 0.25, 0);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 1, &m), ==, 0);
	CHECK_INT(m.frames_mixed, ==, Q / 2);
	CHECK_INT(m.short_buffers, ==, 1);
	CHECK_FLOAT(m.peak, 0.5, 0);
	CHECK_INT(h_process(&h), ==, SPA_STATUS_NEED_DATA);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 0, &m), ==, 0);
	CHECK_INT(m.underruns, ==, 1);
	CHECK_FLOAT(m.peak, 0.0, 0);

	/* FL linked, FR not: FL mixes, FR's input is still metered */
	CHECK_INT(h_connect_output(&h, 0), ==, 0);
	h_feed_const(&h, 0, 0.25f, Q);
	h_feed_const(&h, 1, 0.125f, Q);
	CHECK_INT(h_process(&h), ==, SPA_STATUS_HAVE_DATA | SPA_STATUS_NEED_DATA);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out && n == Q && out[0] == 0.25f);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 1, &m), ==, 0);
	CHECK_INT(m.frames_mixed, ==, Q / 2 + Q);
	CHECK_FLOAT(m.peak, 0.125, 0);

	/* the consumer of FL does not take the mix: it stays, the input is
	 * still taken and metered */
	h_feed_const(&h, 0, 0.25f, Q);
	h_process(&h);
	h_feed_const(&h, 0, 0.75f, Q);
	h_process(&h);
	CHECK_INT(h.inputs[0].io.status, ==, SPA_STATUS_NEED_DATA);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 0, &m), ==, 0);
	CHECK_INT(m.frames_mixed, ==, 4 * Q);
	CHECK_FLOAT(m.peak, 0.75, 0);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out && out[0] == 0.25f);
	h_close(&h);
}

/* metering off: same mix, no peaks; switched at run time through params */
static void test_metering_switch(void)
{
	struct harness h;
	struct alto_mixer_port_metrics m;
	struct alto_mixer_node_metrics nm;
	const float *out;
	uint32_t n;
	bool empty;

	CHECK_INT(h_open(&h, best_cpu_flags(), NULL, (const char *const[]){ "audio.channels", "1",
			"alto.mixer.metering", "false", NULL }), ==, 0);
	h_set_quantum(&h, Q);
	CHECK_INT(h_connect_output(&h, 0), ==, 0);
	add_input(&h, "a");
	add_input(&h, "b");
	CHECK_INT(h_connect_input(&h, 0, 0), ==, 0);
	CHECK_INT(h_connect_input(&h, 1, 0), ==, 0);
	CHECK_INT(alto_mixer_get_node_metrics(h.control, &nm), ==, 0);
	CHECK(!nm.metering);

	h_feed_const(&h, 0, -0.5f, Q);
	h_feed_const(&h, 1, 0.25f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out);
	CHECK_FLOAT(out[5], -0.25, 0);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 0, &m), ==, 0);
	CHECK_FLOAT(m.peak, 0.0, 0);
	CHECK_INT(m.frames_mixed, ==, Q);

	CHECK_INT(h_set_params(&h, (const char *const[]){ "alto.metering", "b:1", NULL }), ==, 0);
	h_feed_const(&h, 0, -0.5f, Q);
	h_feed_const(&h, 1, 0.25f, Q);
	h_process(&h);
	out = h_take_output(&h, 0, &n, &empty);
	CHECK(out);
	CHECK_FLOAT(out[5], -0.25, 0);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 0, &m), ==, 0);
	CHECK_FLOAT(m.peak, 0.5, 0);
	CHECK_INT(alto_mixer_get_port_metrics(h.control, 1, &m), ==, 0);
	CHECK_FLOAT(m.peak, 0.25, 0);
	CHECK_INT(alto_mixer_get_node_metrics(h.control, &nm), ==, 0);
	CHECK(nm.metering);
	h_close(&h);
}

int main(int argc, char **argv)
{
	h_init_args(argc, argv);

	test_factory_and_properties();
	test_layouts();
	test_sum(0);
	test_sum(SPA_CPU_FLAG_SSE2);
	test_volume_and_mute();
	test_master_volume();
	test_no_clipping(0);
	test_no_clipping(SPA_CPU_FLAG_SSE2);
	test_underruns();
	test_short_buffers();
	test_without_position();
	test_remove_while_mixing();
	test_256_inputs(0);
	test_256_inputs(best_cpu_flags());
	test_kernels_agree();
	test_volume_ramp();
	test_metrics_without_listener();
	test_kernel_option();
	test_params_add_remove();
	test_metering_switch();

	return h_finish("test-mixer");
}
