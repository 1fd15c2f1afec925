/* agg.h - placeholder */
