/*
 * csvrow: the field accumulator the --csv and --kdc-events readers share.
 * Fields are copied with their length (libcsv's buffer is reused, and a
 * field may hold a NUL), NULL is an empty field, an index out of the row
 * is NULL, and a cleared row is empty and reusable.
 */
#include <stdlib.h>
#include <string.h>

#include "csvrow.h"
#include "tap.h"

int
main(void)
{
	struct csvrow	 r = { NULL, 0 };
	char		 buf[16];

	tap_ok(csvrow_get(&r, 0) == NULL, "empty row: no field 0");
	strcpy(buf, "alice,bob");
	tap_ok(csvrow_add(&r, buf, 5) == 0, "add a field");
	strcpy(buf, "overwritten");	/* libcsv reuses its buffer */
	tap_is(csvrow_get(&r, 0), "alice", "the field is a copy of N bytes");
	tap_ok(csvrow_add(&r, NULL, 0) == 0, "add an empty field (NULL)");
	tap_is(csvrow_get(&r, 1), "", "NULL gives \"\"");
	tap_ok(csvrow_add(&r, "a\0b", 3) == 0 && r.nf == 3, "add a field with a NUL");
	tap_is(csvrow_get(&r, 2), "a", "it ends at the NUL (the readers check for NULs)");
	tap_ok(csvrow_get(&r, 3) == NULL, "index past the row: NULL");
	tap_ok(csvrow_get(&r, -1) == NULL, "index -1 (an absent column): NULL");
	csvrow_clear(&r);
	tap_ok(r.nf == 0 && r.f == NULL && csvrow_get(&r, 0) == NULL, "cleared: empty");
	tap_ok(csvrow_add(&r, "x", 1) == 0, "a cleared row takes fields again");
	tap_is(csvrow_get(&r, 0), "x", "the new first field");
	csvrow_clear(&r);
	csvrow_clear(&r);
	tap_ok(r.nf == 0, "clearing twice is harmless");
	return tap_done();
}
