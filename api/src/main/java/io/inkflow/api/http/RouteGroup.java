package io.inkflow.api.http;

import java.util.List;

/**
 * A set of routes registered together on the {@link ApiServer}: submissions, views, the OpenAPI document,
 * and later groups (console pages, labelling) added without touching the server.
 */
public interface RouteGroup {
  List<ApiRoute> routes();
}
