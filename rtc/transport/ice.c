/* alto rtc/transport: the libnice agent of one peer connection.
 *
 * Created with NICE_COMPATIBILITY_RFC5245, trickle, regular nomination and consent freshness
 * (RFC 7675: a peer that stops answering fails the component after ~30 s, which is how a dead
 * path is noticed). UPnP is switched off: alto never talks to routers behind the user's back.
 * Thread: see ice.h.
 */
#define G_LOG_DOMAIN "alto.rtc.ice"

#include "ice.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gio/gio.h>
#include <nice/agent.h>
#include <nice/interfaces.h>

#define COMPONENT	1
#define MAX_QUEUED	64	/* remote candidates held until the credentials come */

struct alto_ice {
	GMainContext *context;
	const struct alto_ice_events *events;
	void *data;

	NiceAgent *agent;
	guint stream;
	bool ice_tcp;
	bool has_turn;

	struct alto_ice_server *servers;	/* copies, resolved one by one */
	size_t n_servers;
	unsigned pending_resolves;
	GCancellable *cancel;
	bool stun_set;

	bool gather_requested;
	bool gather_started;
	bool gathering_done;
	GPtrArray *local_candidates;		/* char* "candidate:..." */

	char *local_ufrag;
	char *local_pwd;
	char *remote_ufrag;
	char *remote_pwd;
	GPtrArray *queued;			/* char* remote candidates before credentials */
	bool remote_done_queued;
	bool restarting;

	enum alto_ice_state state;
};

static const char *const state_names[] = {
	[ALTO_ICE_STATE_NEW] = "new",
	[ALTO_ICE_STATE_GATHERING] = "gathering",
	[ALTO_ICE_STATE_CHECKING] = "checking",
	[ALTO_ICE_STATE_CONNECTED] = "connected",
	[ALTO_ICE_STATE_FAILED] = "failed",
};

const char *alto_ice_state_name(enum alto_ice_state state)
{
	if ((unsigned)state > ALTO_ICE_STATE_FAILED)
		return "unknown";
	return state_names[state];
}

/* ---- URLs ---- */

static int copy_field(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		return -ENOSPC;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

int alto_ice_server_parse(const char *url, const char *username, const char *credential,
		struct alto_ice_server *server)
{
	const char *rest, *query, *host_end, *port_text = NULL;
	size_t host_len;
	bool secure;
	int res;

	if (url == NULL || server == NULL)
		return -EINVAL;
	memset(server, 0, sizeof(*server));
	if (strncasecmp(url, "stun:", 5) == 0) {
		server->type = ALTO_ICE_SERVER_STUN;
		rest = url + 5;
		secure = false;
	} else if (strncasecmp(url, "turn:", 5) == 0) {
		server->type = ALTO_ICE_SERVER_TURN_UDP;
		rest = url + 5;
		secure = false;
	} else if (strncasecmp(url, "turns:", 6) == 0) {
		server->type = ALTO_ICE_SERVER_TURN_TLS;
		rest = url + 6;
		secure = true;
	} else if (strncasecmp(url, "stuns:", 6) == 0) {
		return -ENOTSUP;
	} else {
		return -EINVAL;
	}
	query = strchr(rest, '?');
	if (query == NULL)
		query = rest + strlen(rest);
	if (rest[0] == '[') {
		host_end = memchr(rest, ']', (size_t)(query - rest));
		if (host_end == NULL)
			return -EINVAL;
		rest++;
		host_len = (size_t)(host_end - rest);
		host_end++;
		if (host_end < query) {
			if (*host_end != ':')
				return -EINVAL;
			port_text = host_end + 1;
		}
	} else {
		host_end = memchr(rest, ':', (size_t)(query - rest));
		if (host_end == NULL)
			host_end = query;
		else
			port_text = host_end + 1;
		host_len = (size_t)(host_end - rest);
	}
	if (host_len == 0)
		return -EINVAL;
	if ((res = copy_field(server->host, sizeof(server->host), rest, host_len)) < 0)
		return res;
	for (size_t i = 0; i < host_len; i++)
		if (server->host[i] == '/' || server->host[i] == '@' || server->host[i] == ' ')
			return -EINVAL;
	if (port_text) {
		unsigned long port = 0;
		if (port_text == query)
			return -EINVAL;
		for (const char *p = port_text; p < query; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			port = port * 10 + (unsigned long)(*p - '0');
			if (port > 65535)
				return -EINVAL;
		}
		if (port == 0)
			return -EINVAL;
		server->port = (uint16_t)port;
	} else {
		server->port = secure ? 5349 : 3478;
	}
	if (*query == '?') {
		const char *q = query + 1;
		if (server->type == ALTO_ICE_SERVER_STUN)
			return -EINVAL;
		if (strncasecmp(q, "transport=", 10) != 0)
			return -EINVAL;
		q += 10;
		if (strcasecmp(q, "udp") == 0) {
			if (secure)
				return -ENOTSUP;	/* DTLS to TURN: libnice has no such thing */
			server->type = ALTO_ICE_SERVER_TURN_UDP;
		} else if (strcasecmp(q, "tcp") == 0) {
			server->type = secure ? ALTO_ICE_SERVER_TURN_TLS : ALTO_ICE_SERVER_TURN_TCP;
		} else {
			return -ENOTSUP;
		}
	}
	if (server->type != ALTO_ICE_SERVER_STUN) {
		if ((res = copy_field(server->username, sizeof(server->username),
					username ? username : "", username ? strlen(username) : 0)) < 0 ||
		    (res = copy_field(server->credential, sizeof(server->credential),
					credential ? credential : "",
					credential ? strlen(credential) : 0)) < 0)
			return res;
	}
	return 0;
}

/* ---- agent signals ---- */

static void set_state(struct alto_ice *ice, enum alto_ice_state state)
{
	if (ice->state == state)
		return;
	g_debug("ICE %s -> %s", alto_ice_state_name(ice->state), alto_ice_state_name(state));
	ice->state = state;
	if (ice->events->state_changed)
		ice->events->state_changed(ice->data, state);
}

static void on_new_candidate(NiceAgent *agent, NiceCandidate *candidate, gpointer data)
{
	struct alto_ice *ice = data;
	gchar *line;
	const char *text;

	if (candidate->stream_id != ice->stream || candidate->component_id != COMPONENT)
		return;
	line = nice_agent_generate_local_candidate_sdp(agent, candidate);
	if (line == NULL)
		return;
	text = g_str_has_prefix(line, "a=") ? line + 2 : line;
	g_debug("local %s", text);
	g_ptr_array_add(ice->local_candidates, g_strdup(text));
	if (ice->events->local_candidate)
		ice->events->local_candidate(ice->data, text);
	g_free(line);
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
	struct alto_ice *ice = data;

	if (stream != ice->stream || ice->gathering_done)
		return;
	ice->gathering_done = true;
	g_debug("gathering done, %u candidates", ice->local_candidates->len);
	if (ice->events->gathering_done)
		ice->events->gathering_done(ice->data);
}

static void on_component_state(NiceAgent *agent, guint stream, guint component, guint state,
		gpointer data)
{
	struct alto_ice *ice = data;

	if (stream != ice->stream || component != COMPONENT)
		return;
	switch (state) {
	case NICE_COMPONENT_STATE_DISCONNECTED:
		/* after a restart before anything else: still connected if a pair exists */
		break;
	case NICE_COMPONENT_STATE_GATHERING:
		if (ice->state != ALTO_ICE_STATE_CONNECTED)
			set_state(ice, ALTO_ICE_STATE_GATHERING);
		break;
	case NICE_COMPONENT_STATE_CONNECTING:
		if (ice->state != ALTO_ICE_STATE_CONNECTED)
			set_state(ice, ALTO_ICE_STATE_CHECKING);
		break;
	case NICE_COMPONENT_STATE_CONNECTED:
	case NICE_COMPONENT_STATE_READY:
		if (ice->restarting && ice->remote_ufrag) {
			ice->restarting = false;
			g_debug("restart done");
		}
		set_state(ice, ALTO_ICE_STATE_CONNECTED);
		break;
	case NICE_COMPONENT_STATE_FAILED:
		set_state(ice, ALTO_ICE_STATE_FAILED);
		break;
	default:
		break;
	}
}

static void on_selected_pair(NiceAgent *agent, guint stream, guint component,
		NiceCandidate *local, NiceCandidate *remote, gpointer data)
{
	char l[NICE_ADDRESS_STRING_LEN], r[NICE_ADDRESS_STRING_LEN];

	nice_address_to_string(&local->addr, l);
	nice_address_to_string(&remote->addr, r);
	g_debug("selected pair %s:%u -> %s:%u", l, nice_address_get_port(&local->addr), r,
			nice_address_get_port(&remote->addr));
}

static void on_receive(NiceAgent *agent, guint stream, guint component, guint len, gchar *buf,
		gpointer data)
{
	struct alto_ice *ice = data;

	if (len > 0 && ice->events->receive)
		ice->events->receive(ice->data, (const uint8_t *)buf, len);
}

/* ---- set-up ---- */

static bool has_property(GObject *object, const char *name)
{
	return g_object_class_find_property(G_OBJECT_GET_CLASS(object), name) != NULL;
}

static int add_local_address(struct alto_ice *ice, const char *text)
{
	NiceAddress addr;

	if (!nice_address_set_from_string(&addr, text)) {
		g_warning("not an address: %s", text);
		return -EINVAL;
	}
	if (!nice_agent_add_local_address(ice->agent, &addr))
		return -EIO;
	g_debug("host address %s", text);
	return 0;
}

static void add_default_addresses(struct alto_ice *ice)
{
	GList *ips = nice_interfaces_get_local_ips(TRUE), *l;
	bool loopback = false;

	for (l = ips; l; l = l->next) {
		const char *ip = l->data;
		if (strchr(ip, ':') != NULL)
			continue;		/* IPv4 only by default */
		if (strcmp(ip, "127.0.0.1") == 0)
			loopback = true;
		add_local_address(ice, ip);
	}
	if (!loopback)
		add_local_address(ice, "127.0.0.1");
	g_list_free_full(ips, g_free);
}

static void apply_server(struct alto_ice *ice, const struct alto_ice_server *server,
		const char *ip)
{
	static const NiceRelayType relay_types[] = {
		[ALTO_ICE_SERVER_TURN_UDP] = NICE_RELAY_TYPE_TURN_UDP,
		[ALTO_ICE_SERVER_TURN_TCP] = NICE_RELAY_TYPE_TURN_TCP,
		[ALTO_ICE_SERVER_TURN_TLS] = NICE_RELAY_TYPE_TURN_TLS,
	};

	if (server->type == ALTO_ICE_SERVER_STUN) {
		if (ice->stun_set)
			return;			/* libnice takes one STUN server */
		g_object_set(ice->agent, "stun-server", ip, "stun-server-port", (guint)server->port,
				NULL);
		ice->stun_set = true;
		g_debug("STUN server %s:%u", ip, server->port);
		return;
	}
	if (!nice_agent_set_relay_info(ice->agent, ice->stream, COMPONENT, ip, server->port,
				server->username, server->credential, relay_types[server->type]))
		g_warning("TURN server %s:%u refused by libnice", ip, server->port);
	else
		g_debug("TURN server %s:%u (%s)", ip, server->port,
				server->type == ALTO_ICE_SERVER_TURN_UDP ? "udp" :
				server->type == ALTO_ICE_SERVER_TURN_TCP ? "tcp" : "tls");
}

static void start_gathering(struct alto_ice *ice)
{
	if (ice->gather_started || !ice->gather_requested || ice->pending_resolves > 0)
		return;
	ice->gather_started = true;
	if (!nice_agent_gather_candidates(ice->agent, ice->stream)) {
		g_warning("libnice could not gather candidates");
		set_state(ice, ALTO_ICE_STATE_FAILED);
	}
}

struct resolve {
	struct alto_ice *ice;
	size_t index;
};

static void on_resolved(GObject *source, GAsyncResult *result, gpointer data)
{
	struct resolve *r = data;
	GError *error = NULL;
	GList *addresses = g_resolver_lookup_by_name_finish(G_RESOLVER(source), result, &error);
	struct alto_ice *ice = r->ice;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		/* the alto_ice is gone */
		g_error_free(error);
		g_free(r);
		return;
	}
	ice->pending_resolves--;
	if (addresses == NULL) {
		g_warning("cannot resolve ICE server %s: %s", ice->servers[r->index].host,
				error ? error->message : "no address");
	} else {
		/* the first IPv4 address, else the first one */
		GInetAddress *pick = addresses->data;
		for (GList *l = addresses; l; l = l->next)
			if (g_inet_address_get_family(l->data) == G_SOCKET_FAMILY_IPV4) {
				pick = l->data;
				break;
			}
		gchar *ip = g_inet_address_to_string(pick);
		apply_server(ice, &ice->servers[r->index], ip);
		g_free(ip);
		g_resolver_free_addresses(addresses);
	}
	g_clear_error(&error);
	g_free(r);
	start_gathering(ice);
}

static void add_servers(struct alto_ice *ice)
{
	GResolver *resolver = NULL;

	for (size_t i = 0; i < ice->n_servers; i++) {
		const struct alto_ice_server *server = &ice->servers[i];
		GInetAddress *literal = g_inet_address_new_from_string(server->host);

		if (server->type != ALTO_ICE_SERVER_STUN)
			ice->has_turn = true;
		if (literal) {
			apply_server(ice, server, server->host);
			g_object_unref(literal);
			continue;
		}
		if (resolver == NULL)
			resolver = g_resolver_get_default();
		struct resolve *r = g_new0(struct resolve, 1);
		r->ice = ice;
		r->index = i;
		ice->pending_resolves++;
		/* the callback is dispatched on the thread-default context at call time */
		g_main_context_push_thread_default(ice->context);
		g_resolver_lookup_by_name_async(resolver, server->host, ice->cancel, on_resolved, r);
		g_main_context_pop_thread_default(ice->context);
	}
	if (resolver)
		g_object_unref(resolver);
}

static void update_local_credentials(struct alto_ice *ice)
{
	gchar *ufrag = NULL, *pwd = NULL;

	g_free(ice->local_ufrag);
	g_free(ice->local_pwd);
	nice_agent_get_local_credentials(ice->agent, ice->stream, &ufrag, &pwd);
	ice->local_ufrag = ufrag;
	ice->local_pwd = pwd;
}

struct alto_ice *alto_ice_new(GMainContext *context, const struct alto_ice_config *config,
		const struct alto_ice_events *events, void *data)
{
	struct alto_ice *ice;
	NiceAgentOption options = NICE_AGENT_OPTION_ICE_TRICKLE |
		NICE_AGENT_OPTION_REGULAR_NOMINATION | NICE_AGENT_OPTION_CONSENT_FRESHNESS;

	if (config == NULL || events == NULL) {
		errno = EINVAL;
		return NULL;
	}
	ice = g_new0(struct alto_ice, 1);
	ice->context = context ? g_main_context_ref(context) : g_main_context_ref_thread_default();
	ice->events = events;
	ice->data = data;
	ice->ice_tcp = config->ice_tcp;
	ice->local_candidates = g_ptr_array_new_with_free_func(g_free);
	ice->queued = g_ptr_array_new_with_free_func(g_free);
	ice->cancel = g_cancellable_new();

	ice->agent = nice_agent_new_full(ice->context, NICE_COMPATIBILITY_RFC5245, options);
	if (ice->agent == NULL)
		goto error;
	g_object_set(ice->agent, "ice-tcp", (gboolean)config->ice_tcp,
			"force-relay", (gboolean)config->force_relay, NULL);
	if (has_property(G_OBJECT(ice->agent), "upnp"))
		g_object_set(ice->agent, "upnp", FALSE, NULL);

	if (config->local_addresses) {
		for (size_t i = 0; i < config->n_local_addresses; i++)
			add_local_address(ice, config->local_addresses[i]);
	} else {
		add_default_addresses(ice);
	}

	ice->stream = nice_agent_add_stream(ice->agent, 1);
	if (ice->stream == 0)
		goto error;
	g_signal_connect(ice->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), ice);
	g_signal_connect(ice->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), ice);
	g_signal_connect(ice->agent, "component-state-changed", G_CALLBACK(on_component_state), ice);
	g_signal_connect(ice->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), ice);
	if (!nice_agent_attach_recv(ice->agent, ice->stream, COMPONENT, ice->context, on_receive,
				ice))
		goto error;
	update_local_credentials(ice);

	if (config->n_servers > 0) {
		ice->servers = g_new0(struct alto_ice_server, config->n_servers);
		memcpy(ice->servers, config->servers, config->n_servers * sizeof(*ice->servers));
		ice->n_servers = config->n_servers;
	}
	add_servers(ice);
	return ice;

error:
	alto_ice_destroy(ice);
	errno = EIO;
	return NULL;
}

void alto_ice_destroy(struct alto_ice *ice)
{
	if (ice == NULL)
		return;
	g_cancellable_cancel(ice->cancel);
	if (ice->agent) {
		g_signal_handlers_disconnect_by_data(ice->agent, ice);
		if (ice->stream)
			nice_agent_attach_recv(ice->agent, ice->stream, COMPONENT, ice->context,
					NULL, NULL);
		/* release TURN allocations on the servers; the agent lives until that is done */
		if (ice->has_turn && ice->gather_started)
			nice_agent_close_async(ice->agent, NULL, NULL);
		g_object_unref(ice->agent);
	}
	g_object_unref(ice->cancel);
	g_ptr_array_free(ice->local_candidates, TRUE);
	g_ptr_array_free(ice->queued, TRUE);
	g_free(ice->servers);
	g_free(ice->local_ufrag);
	g_free(ice->local_pwd);
	g_free(ice->remote_ufrag);
	g_free(ice->remote_pwd);
	g_main_context_unref(ice->context);
	g_free(ice);
}

/* ---- operations ---- */

int alto_ice_set_controlling(struct alto_ice *ice, bool controlling)
{
	if (ice == NULL)
		return -EINVAL;
	g_object_set(ice->agent, "controlling-mode", (gboolean)controlling, NULL);
	return 0;
}

bool alto_ice_is_controlling(const struct alto_ice *ice)
{
	gboolean controlling = FALSE;
	if (ice)
		g_object_get(ice->agent, "controlling-mode", &controlling, NULL);
	return controlling;
}

int alto_ice_gather(struct alto_ice *ice)
{
	if (ice == NULL)
		return -EINVAL;
	ice->gather_requested = true;
	start_gathering(ice);
	return ice->state == ALTO_ICE_STATE_FAILED ? -EIO : 0;
}

bool alto_ice_gathering_done(const struct alto_ice *ice)
{
	return ice && ice->gathering_done;
}

const char *alto_ice_local_ufrag(const struct alto_ice *ice)
{
	return ice ? ice->local_ufrag : NULL;
}

const char *alto_ice_local_pwd(const struct alto_ice *ice)
{
	return ice ? ice->local_pwd : NULL;
}

size_t alto_ice_n_local_candidates(const struct alto_ice *ice)
{
	return ice ? ice->local_candidates->len : 0;
}

const char *alto_ice_local_candidate(const struct alto_ice *ice, size_t index)
{
	if (ice == NULL || index >= ice->local_candidates->len)
		return NULL;
	return g_ptr_array_index(ice->local_candidates, index);
}

static int apply_remote_candidate(struct alto_ice *ice, const char *candidate)
{
	gchar *line = g_strconcat("a=", candidate, NULL);
	NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(ice->agent, ice->stream, line);
	GSList list = { 0 };
	int res = 0;

	g_free(line);
	if (c == NULL)
		return -EINVAL;
	if (c->component_id != COMPONENT) {
		res = -ENOTSUP;		/* an RTCP candidate; rtcp-mux makes it useless */
		goto done;
	}
	if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP && !ice->ice_tcp) {
		res = -ENOTSUP;
		goto done;
	}
	list.data = c;
	if (nice_agent_set_remote_candidates(ice->agent, ice->stream, COMPONENT, &list) < 0)
		res = -EIO;
	else
		g_debug("remote %s", candidate);
done:
	nice_candidate_free(c);
	return res;
}

int alto_ice_set_remote_credentials(struct alto_ice *ice, const char *ufrag, const char *pwd)
{
	if (ice == NULL || ufrag == NULL || pwd == NULL || *ufrag == '\0' || *pwd == '\0')
		return -EINVAL;
	if (!nice_agent_set_remote_credentials(ice->agent, ice->stream, ufrag, pwd))
		return -EIO;
	g_free(ice->remote_ufrag);
	g_free(ice->remote_pwd);
	ice->remote_ufrag = g_strdup(ufrag);
	ice->remote_pwd = g_strdup(pwd);
	for (guint i = 0; i < ice->queued->len; i++)
		apply_remote_candidate(ice, g_ptr_array_index(ice->queued, i));
	g_ptr_array_set_size(ice->queued, 0);
	if (ice->remote_done_queued) {
		ice->remote_done_queued = false;
		nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream);
	}
	return 0;
}

const char *alto_ice_remote_ufrag(const struct alto_ice *ice)
{
	return ice ? ice->remote_ufrag : NULL;
}

int alto_ice_add_remote_candidate(struct alto_ice *ice, const char *candidate)
{
	if (ice == NULL || candidate == NULL)
		return -EINVAL;
	if (g_str_has_prefix(candidate, "a="))
		candidate += 2;
	if (!g_str_has_prefix(candidate, "candidate:"))
		return -EINVAL;
	if (ice->remote_ufrag == NULL) {
		if (ice->queued->len >= MAX_QUEUED)
			return -ENOSPC;
		g_ptr_array_add(ice->queued, g_strdup(candidate));
		return 0;
	}
	return apply_remote_candidate(ice, candidate);
}

int alto_ice_remote_gathering_done(struct alto_ice *ice)
{
	if (ice == NULL)
		return -EINVAL;
	if (ice->remote_ufrag == NULL) {
		ice->remote_done_queued = true;
		return 0;
	}
	nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream);
	return 0;
}

int alto_ice_restart(struct alto_ice *ice)
{
	if (ice == NULL)
		return -EINVAL;
	if (!nice_agent_restart_stream(ice->agent, ice->stream))
		return -EIO;
	update_local_credentials(ice);
	g_clear_pointer(&ice->remote_ufrag, g_free);
	g_clear_pointer(&ice->remote_pwd, g_free);
	g_ptr_array_set_size(ice->queued, 0);
	ice->remote_done_queued = false;
	ice->restarting = true;
	g_debug("restart, local ufrag %s", ice->local_ufrag);
	return 0;
}

int alto_ice_send(struct alto_ice *ice, const uint8_t *buf, size_t len)
{
	gint sent;

	if (ice == NULL || buf == NULL || len == 0 || len > 65535)
		return -EINVAL;
	if (ice->state != ALTO_ICE_STATE_CONNECTED)
		return -ENOTCONN;
	sent = nice_agent_send(ice->agent, ice->stream, COMPONENT, (guint)len, (const gchar *)buf);
	if (sent < 0)
		return -EAGAIN;
	return 0;
}

bool alto_ice_restart_checks_done(const struct alto_ice *ice)
{
	return ice && !ice->restarting;
}

enum alto_ice_state alto_ice_get_state(const struct alto_ice *ice)
{
	return ice ? ice->state : ALTO_ICE_STATE_FAILED;
}

int alto_ice_describe_selected_pair(struct alto_ice *ice, char *buf, size_t size)
{
	static const char *const types[] = { "host", "srflx", "prflx", "relay" };
	NiceCandidate *local = NULL, *remote = NULL;
	char l[NICE_ADDRESS_STRING_LEN], r[NICE_ADDRESS_STRING_LEN];
	int n;

	if (ice == NULL || buf == NULL)
		return -EINVAL;
	if (!nice_agent_get_selected_pair(ice->agent, ice->stream, COMPONENT, &local, &remote))
		return -ENOTCONN;
	nice_address_to_string(&local->addr, l);
	nice_address_to_string(&remote->addr, r);
	n = snprintf(buf, size, "%s:%u -> %s:%u (%s/%s)", l, nice_address_get_port(&local->addr),
			r, nice_address_get_port(&remote->addr),
			local->type <= NICE_CANDIDATE_TYPE_RELAYED ? types[local->type] : "?",
			remote->type <= NICE_CANDIDATE_TYPE_RELAYED ? types[remote->type] : "?");
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}
