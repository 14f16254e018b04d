"""The API's routes, found by walking the URL conf, so a new endpoint is covered by the
generated tests without anyone listing it."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # URL name in the v1 namespace, e.g. "sku-detail"
    basename: str  # router basename, e.g. "sku"
    path: str  # the regex, for test ids
    viewset: type
    actions: dict[str, str]  # HTTP method -> viewset action
    kwargs: tuple[str, ...]  # URL keyword arguments

    @property
    def detail(self) -> bool:
        return "pk" in self.kwargs or self.name == "store-detail"

    def __str__(self) -> str:
        return self.name


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def api_routes() -> list[Route]:
    """Every viewset route under ``/api/v1/``."""
    routes = []
    for regex, pattern in _walk(get_resolver().url_patterns):
        if not regex.startswith("api/v1/"):
            continue
        callback = pattern.callback
        viewset = getattr(callback, "cls", None)
        actions = getattr(callback, "actions", None)
        if viewset is None or actions is None:
            continue
        routes.append(
            Route(
                name=pattern.name,
                basename=callback.initkwargs["basename"],
                path=regex,
                viewset=viewset,
                actions=dict(actions),
                kwargs=tuple(pattern.pattern.regex.groupindex),
            )
        )
    return sorted(routes, key=lambda route: route.name)
