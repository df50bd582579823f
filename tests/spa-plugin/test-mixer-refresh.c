/* The metrics refresh of alto.mixer: PipeWire keeps a copy of a node's and a
 * port's params after the first read and answers remote reads from it until
 * the object announces a change (the SERIAL flag of the param info toggled).
 * With the main loop's utils in its support list, a started mixer announces
 * the Props of every input whose metrics moved, on a timer of that loop; a
 * paused one announces nothing. The node's own Props are never announced by
 * the timer: session managers store a node's Props on each change (WirePlumber
 * 0.4 restarts its save timer on each, so a node changing every second kept it
 * from saving any volume).
 *
 * The main loop is PipeWire's own (support.loop), iterated on this thread;
 * process() runs inline on the same thread. Waits are bounded by a count of
 * loop iterations, never asserted on time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spa/node/command.h>
#include <spa/support/loop.h>

#include "mixer-harness.h"

#define Q	256

static struct h_real_loop main_loop;
static struct harness h;

/* one cycle: both inputs of "a" fed, both outputs taken */
static void cycle(void)
{
	uint32_t n;
	bool empty;

	h_feed_const(&h, 0, 0.25f, Q);
	h_feed_const(&h, 1, 0.5f, Q);
	h_process(&h);
	h_take_output(&h, 0, &n, &empty);
	h_take_output(&h, 1, &n, &empty);
}

/* runs the main loop until port 0's Props were announced changed (true) or
 * for about `ms` of loop time without that (false) */
static bool run_until_announced(uint32_t base, int ms)
{
	int i;

	for (i = 0; i < ms / 10; i++) {
		if (h.in_info[0].props_changes != base)
			return true;
		spa_loop_control_iterate(main_loop.control, 10);
	}
	return h.in_info[0].props_changes != base;
}

static void send(uint32_t command)
{
	struct spa_command cmd = SPA_NODE_COMMAND_INIT(command);
	CHECK_INT(spa_node_send_command(h.node, &cmd), ==, 0);
}

int main(int argc, char **argv)
{
	struct alto_mixer_port_metrics m;
	uint32_t base, node_base, first = SPA_ID_INVALID;
	float vol;
	bool mute;

	h_init_args(argc, argv);
	if (h_real_loop_open(&main_loop) < 0)
		return 1;
	spa_loop_control_enter(main_loop.control);

	CHECK_INT(h_open_full(&h, 0, NULL, main_loop.utils,
			(const char *const[]){ "alto.mixer.refresh-ms", "50", NULL }), ==, 0);
	h_set_quantum(&h, Q);
	CHECK_INT(h_connect_output(&h, 0), ==, 0);
	CHECK_INT(h_connect_output(&h, 1), ==, 0);
	CHECK_INT(alto_mixer_add_input(h.control, "a", &first), ==, 0);
	CHECK_INT(first, ==, 0);
	CHECK_INT(h_connect_input(&h, 0, 0), ==, 0);
	CHECK_INT(h_connect_input(&h, 1, 0), ==, 0);

	/* started, mixing: the ports are announced, the node is not */
	send(SPA_NODE_COMMAND_Start);
	base = h.in_info[0].props_changes;
	node_base = h.node_props_changes;
	cycle();
	CHECK(run_until_announced(base, 10000));
	CHECK_INT(h.in_info[1].props_changes, >, 0);
	CHECK_INT(h.node_props_changes, ==, node_base);
	CHECK_INT(h_get_port_props(&h, 0, &vol, &mute, &m), ==, 0);
	CHECK_INT(m.frames_mixed, ==, Q);
	CHECK_FLOAT(m.peak, 0.25, 0);

	/* and again when they move again: a refresh, not a one-off */
	base = h.in_info[0].props_changes;
	cycle();
	CHECK(run_until_announced(base, 10000));
	CHECK_INT(h.node_props_changes, ==, node_base);

	/* nothing moved: nothing announced (the timer keeps running) */
	base = h.in_info[0].props_changes;
	node_base = h.node_props_changes;
	CHECK(!run_until_announced(base, 300));
	CHECK_INT(h.node_props_changes, ==, node_base);

	/* paused: no timer, even though the counters moved */
	send(SPA_NODE_COMMAND_Pause);
	cycle();
	CHECK(!run_until_announced(base, 300));

	/* started again: the change made while paused shows up */
	send(SPA_NODE_COMMAND_Start);
	CHECK(run_until_announced(base, 10000));

	/* a volume change is announced at once, without the timer */
	base = h.in_info[0].props_changes;
	CHECK_INT(h_set_port_volume(&h, 0, 0.5f, -1), ==, 0);
	CHECK_INT(h.in_info[0].props_changes, ==, base + 1);
	/* so is an input added (alto.inputs on the node) */
	node_base = h.node_props_changes;
	CHECK_INT(alto_mixer_add_input(h.control, "b", NULL), ==, 0);
	CHECK_INT(h.node_props_changes, >, node_base);

	/* clear() with the timer armed removes it from the loop */
	h_close(&h);
	spa_loop_control_iterate(main_loop.control, 0);

	/* refresh-ms=0: no timer at all */
	CHECK_INT(h_open_full(&h, 0, NULL, main_loop.utils,
			(const char *const[]){ "alto.mixer.refresh-ms", "0", NULL }), ==, 0);
	h_set_quantum(&h, Q);
	CHECK_INT(h_connect_output(&h, 0), ==, 0);
	CHECK_INT(h_connect_output(&h, 1), ==, 0);
	CHECK_INT(alto_mixer_add_input(h.control, "a", NULL), ==, 0);
	CHECK_INT(h_connect_input(&h, 0, 0), ==, 0);
	CHECK_INT(h_connect_input(&h, 1, 0), ==, 0);
	send(SPA_NODE_COMMAND_Start);
	base = h.in_info[0].props_changes;
	cycle();
	CHECK(!run_until_announced(base, 300));
	h_close(&h);

	spa_loop_control_leave(main_loop.control);
	h_real_loop_close(&main_loop);
	return h_finish("test-mixer-refresh");
}
