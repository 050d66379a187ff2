#ifndef RENTGUARD_CSQLITE_SHIM_H
#define RENTGUARD_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
