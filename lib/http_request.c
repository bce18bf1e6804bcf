/* SPDX-License-Identifier: Apache-2.0 */
/* http_request.c - allocation of HTTP requests, apart from the engine so builders link alone */
#include <stdlib.h>
#include <string.h>

#include "http.h"

struct gceb_http_request *gceb_http_request_new(const char *method, enum gceb_api api,
						const char *url, const char *body)
{
	struct gceb_http_request *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->method = method;
	req->api = api;
	req->url = strdup(url);
	if (body)
		req->body = strdup(body);
	if (!req->url || (body && !req->body)) {
		gceb_http_request_free(req);
		return NULL;
	}
	return req;
}

void gceb_http_request_free(struct gceb_http_request *req)
{
	if (!req)
		return;
	free(req->url);
	free(req->body);
	free(req->response);
	free(req->content_type);
	free(req);
}
