/* Checking the SPA-JSON arguments of libpipewire-module-alto before use.
 *
 * pw_properties_new_string() is lenient: a missing '}' or an unterminated
 * string silently yields some of the keys, and a module would then join
 * with half its configuration. So the module first checks the whole text
 * here and refuses it with a message saying what is wrong and where.
 *
 * The syntax is PipeWire's relaxed JSON as its conf files use it: an object
 * (the outer braces may be left out), keys and values separated by
 * whitespace, ':', '=' or ','; strings in double quotes or bare words;
 * '#' comments to the end of a line; nested objects and arrays.
 *
 * Thread: any; pure functions. Returns 0 or a negative errno. */
#ifndef ALTO_NODE_MODULE_ARGS_H
#define ALTO_NODE_MODULE_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* Nesting deeper than this is refused (the args are written by people). */
#define ALTO_MODULE_ARGS_MAX_DEPTH 32

/* 0 when text (NULL: empty) is one well-formed object; else -EINVAL and a
 * one-line reason with the byte offset in why (always NUL-terminated). */
int alto_module_args_check(const char *text, char *why, size_t why_size);

/* The value of a boolean argument: "true" or "false" (also 1 and 0, which
 * PipeWire's own parser takes). -EINVAL for anything else, where PipeWire
 * would silently read false. */
int alto_module_args_parse_bool(const char *value, bool *out);

/* A whole decimal number within [min, max]. -EINVAL (not a number) or
 * -ERANGE (outside). */
int alto_module_args_parse_int(const char *value, long min, long max, long *out);

#endif
