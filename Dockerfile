# The Railyard manager image. It builds with the same Makefile targets as a
# developer's machine (`make build`, `make helm`), so the binaries match.
# The helm binary is there because kustomize-build inflates Helm charts by
# running it.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY Makefile ./
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
ARG VERSION=dev
RUN make build VERSION=${VERSION} && make helm

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/bin/manager /manager
COPY --from=build /src/bin/railyard /usr/local/bin/railyard
COPY --from=build /src/bin/k8s/helm /usr/local/bin/helm
ENV RAILYARD_HELM=/usr/local/bin/helm
USER 65532:65532
ENTRYPOINT ["/manager"]
