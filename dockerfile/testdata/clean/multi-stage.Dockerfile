# Only ECR Public.
FROM public.ecr.aws/docker/library/golang:1.26-alpine AS build
WORKDIR /src
COPY . .
RUN go build -o /out/server .

FROM build AS test
RUN go test ./...

FROM scratch
COPY --from=build /out/server /server
USER 65532:65532
ENTRYPOINT ["/server"]
