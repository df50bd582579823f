/* Names alto gives to graph objects, from untrusted LiveKit strings.
 *
 * node.name of a participant stream: "alto.<room>.<identity>", stable across
 * sessions so that a session manager restores each person's volume; the
 * room mixer: "alto.<room>". Mixer inputs (the port names
 * in_<input>_<CH>): the identity. Any byte outside [A-Za-z0-9_-] (and '.'
 * in node names between the parts) becomes '_', so names are safe in
 * pw-link arguments, SPA-JSON and the mixer's input-name rules; long ones are
 * cut (with a hash of the whole, so two long names stay different).
 *
 * Thread: any; pure functions. */
#ifndef ALTO_NODE_NAMES_H
#define ALTO_NODE_NAMES_H

#include <stddef.h>

#define ALTO_NAME_MAX		128	/* node names, with the NUL */
#define ALTO_INPUT_NAME_MAX	48	/* mixer input names, with the NUL (mixer limit: 63 + 1) */

/* "alto.<room>" into buf. Returns 0 or -ENOSPC (size < ALTO_NAME_MAX). */
int alto_name_mixer_node(char *buf, size_t size, const char *room);

/* "alto.<room>.<identity>" (suffix, if not NULL, appended as ".<suffix>"). */
int alto_name_participant_node(char *buf, size_t size, const char *room, const char *identity,
		const char *suffix);

/* A mixer input name from the identity (suffix appended as "-<suffix>"). */
int alto_name_mixer_input(char *buf, size_t size, const char *identity, const char *suffix);

/* Appends the sanitized form of text (at most max bytes of output) to buf at
 * *len. Exposed for tests. */
void alto_name_append_sanitized(char *buf, size_t *len, const char *text, size_t max);

#endif
