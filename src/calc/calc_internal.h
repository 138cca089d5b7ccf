/* Internal to src/calc: the wide integer and the one rounding rule the calculators share. */
#ifndef ODZ_CALC_INTERNAL_H
#define ODZ_CALC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Products of a stake, two odds and a commission pass 2^63; a GCC/Clang 128-bit integer keeps
 * every intermediate exact. */
__extension__ typedef __int128 odz_i128;

/** num / den rounded to the nearest integer, half away from zero; den != 0. */
odz_i128 odz_calc__round_div(odz_i128 num, odz_i128 den);

/** Range checks with the words of calc.h's limits; `what` names the input. */
int odz_calc__check_odds(const char *what, int odds, char *err, size_t errlen);
int odz_calc__check_stake(const char *what, int64_t stake, char *err, size_t errlen);

#endif
