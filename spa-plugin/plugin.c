/* The entry point PipeWire (or any SPA host) looks up in libspa-alto.so:
 * the list of factories this library provides. Called on whatever thread
 * loads the plugin. */
#include <errno.h>

#include <spa/support/plugin.h>

extern const struct spa_handle_factory alto_mixer_factory;

SPA_EXPORT
int spa_handle_factory_enum(const struct spa_handle_factory **factory, uint32_t *index)
{
	spa_return_val_if_fail(factory != NULL, -EINVAL);
	spa_return_val_if_fail(index != NULL, -EINVAL);

	switch (*index) {
	case 0:
		*factory = &alto_mixer_factory;
		break;
	default:
		return 0;
	}
	(*index)++;
	return 1;
}
