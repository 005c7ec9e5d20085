# The Railyard manager image. It builds with the same Makefile targets as a
# developer's machine (`make build`, `make helm`), so the binaries match.
# The helm binary is there because kustomize-build inflates Helm charts by
# running it. `make image` builds the same image without Docker (see
# docs/image.md); test/build checks that the two keep the same paths, user,
# entrypoint, environment and labels.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) \
#     --build-arg CREATED=$(date -u -d @$(git log -1 --format=%ct) +%Y-%m-%dT%H:%M:%SZ) .

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY Makefile ./
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
COPY hack/tools/image/ hack/tools/image/
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE_DATE_EPOCH=0
# helm is built static (CGO_ENABLED=0) like the manager: the runtime image has
# no C library.
RUN make build VERSION=${VERSION} && CGO_ENABLED=0 make helm && \
    go run ./hack/tools/image sbom -version ${VERSION} -revision ${REVISION} \
      -source-date-epoch ${SOURCE_DATE_EPOCH} -platform linux/$(go env GOARCH) -o bin/sbom.spdx.json

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=
COPY --from=build /src/bin/manager /manager
COPY --from=build /src/bin/railyard-helm-guard /railyard-helm-guard
COPY --from=build /src/bin/railyard /usr/local/bin/railyard
COPY --from=build /src/bin/k8s/helm /usr/local/bin/helm
COPY --from=build /src/bin/sbom.spdx.json /usr/share/railyard/sbom.spdx.json
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    RAILYARD_HELM=/usr/local/bin/helm
LABEL org.opencontainers.image.source=https://github.com/railyard-dev/railyard \
      org.opencontainers.image.title=railyard-manager \
      org.opencontainers.image.version=${VERSION} \
      org.opencontainers.image.revision=${REVISION} \
      org.opencontainers.image.created=${CREATED}
WORKDIR /home/nonroot
USER 65532:65532
ENTRYPOINT ["/manager"]
