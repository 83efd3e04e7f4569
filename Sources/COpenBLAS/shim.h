#include <cblas.h>

/* Exported by OpenBLAS builds with DYNAMIC_ARCH (Debian's): re-run the CPU-core selection, which reads
   OPENBLAS_CORETYPE. Declared here because cblas.h does not. */
void gotoblas_dynamic_init(void);
void gotoblas_dynamic_quit(void);
