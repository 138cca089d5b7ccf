/* The calculators' HTTP endpoints (/api/calc/matched, eachway, dutch, deduction). */
#ifndef ODZ_API_CALC_H
#define ODZ_API_CALC_H

#include "http/server.h"

/** Registers the /api/calc/ routes on `http` before it runs; 0 or a negative code. */
int odz_api_calc_routes(odz_http_server *http);

#endif
