// OpenSlide (Debian: libopenslide-dev), the C library that reads whole-slide pathology
// images (Aperio .svs, Hamamatsu .ndpi, MIRAX .mrxs, Leica .scn, Ventana .bif, generic
// tiled pyramidal TIFF) region by region at any pyramid level.
#ifndef PHANTOM_COPENSLIDE_SHIM_H
#define PHANTOM_COPENSLIDE_SHIM_H

#include <openslide.h>

#endif
