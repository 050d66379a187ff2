#ifndef RENTGUARD_CCRYPTO_SHIM_H
#define RENTGUARD_CCRYPTO_SHIM_H
#include <openssl/hmac.h>
#include <openssl/evp.h>
#endif
