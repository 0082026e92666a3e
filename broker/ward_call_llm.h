/*
 * ward_call_llm.h -- 'ward-call llm' (ward_call_llm.c): the request of the
 * built-in tool llm.complete, sent through the egress proxy.
 */
#ifndef WARD_CALL_LLM_H
#define WARD_CALL_LLM_H

/* Reads the request on fd 3, prints {"status", "body"}: 0, or 1 with the
 * reason on stderr. */
int call_llm(void);

#endif
