/* libFuzzer target: certificate reading and every mapping value. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "altsec.h"
#include "cert.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certset	 set = { NULL, 0 };
	const char	*why;
	char		*v;
	size_t		 i;
	int		 t, fb;

	msg_verbosity = MSG_SILENT;
	if (cert_read_mem("fuzz", data, size, 1, &set) == 0)
		for (i = 0; i < set.n; i++)
			for (t = 0; t < ALTSEC_NTYPES; t++) {
				v = altsec_value(set.v[i], (enum altsec_type)t,
				    &why, &fb);
				free(v);
			}
	certset_free(&set);
	return 0;
}
