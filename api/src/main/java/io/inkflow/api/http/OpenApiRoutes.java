package io.inkflow.api.http;

import io.javalin.http.HandlerType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** Serves the API's OpenAPI document ({@code openapi.yaml}, committed beside the code) at {@code /v1/openapi.yaml}, without a token. */
public final class OpenApiRoutes implements RouteGroup {
  /** Where the document lives on the class path. */
  public static final String RESOURCE = "/io/inkflow/api/openapi.yaml";

  private final byte[] document;

  public OpenApiRoutes() {
    try (InputStream in = OpenApiRoutes.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the class path");
      }
      document = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public List<ApiRoute> routes() {
    return List.of(ApiRoute.of(HandlerType.GET, "/v1/openapi.yaml",
        ctx -> ctx.contentType("application/yaml; charset=utf-8").result(document)));
  }
}
