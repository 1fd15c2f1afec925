/* lexer.h - placeholder */
