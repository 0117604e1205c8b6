FROM golang:1.26-alpine AS build
RUN go build ./...
FROM scratch
COPY --from=build /out /out
