'use strict';
// Tests of the Custom::PlaceholderImageCache handler against a fake ECR
// registry (node:http) that behaves like a pull-through cache on a miss:
// the manifest is not there at the first request, the layers redirect to
// another origin (the upstream's CDN), and the ECR API sees the image only
// a while after the pull. Run by TestPlaceholderCacheHandler (go test) with
// `node --test`.
const test = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const crypto = require('node:crypto');
const { warm, handler } = require('./index.js');

const digestOf = (s) => 'sha256:' + crypto.createHash('sha256').update(s).digest('hex');

function listen(handle) {
  return new Promise((resolve) => {
    const server = http.createServer(handle);
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

// fakeRegistry serves repo:tag as an index of amd64 and arm64 images whose
// layers live on a CDN of another origin.
async function fakeRegistry(t, { repo = 'demo-dev-ecr-public/nginx/nginx', tag = 'stable-alpine', corrupt = false } = {}) {
  const seen = { registryAuth: [], cdnAuth: [], cdnBlobs: [] };
  const blobs = {};
  const image = (arch) => {
    const config = `config-${arch}`;
    const layers = [`layer-1-${arch}`, `layer-2-${arch}`];
    for (const b of [config, ...layers]) blobs[digestOf(b)] = b;
    const m = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { digest: digestOf(config) },
      layers: layers.map((l) => ({ digest: digestOf(l) })),
    });
    return { m, digest: digestOf(m), layers: layers.map(digestOf) };
  };
  const amd64 = image('amd64');
  const arm64 = image('arm64');
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { digest: amd64.digest, platform: { os: 'linux', architecture: 'amd64' } },
      { digest: arm64.digest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { digest: digestOf('attestation'), platform: { os: 'unknown', architecture: 'unknown' } },
    ],
  });
  const manifests = { [tag]: index, [amd64.digest]: amd64.m, [arm64.digest]: arm64.m };
  const cdn = await listen((req, res) => {
    seen.cdnAuth.push(req.headers.authorization || '');
    const d = req.url.slice(1);
    seen.cdnBlobs.push(d);
    res.end(corrupt ? 'not the blob' : blobs[d]);
  });
  let tagRequests = 0;
  const registry = await listen((req, res) => {
    seen.registryAuth.push(req.headers.authorization || '');
    const m = req.url.match(/^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/);
    if (!m || m[1] !== repo) {
      res.statusCode = 404;
      return res.end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
    }
    if (m[2] === 'manifests') {
      if (m[3] === tag && tagRequests++ === 0) {
        res.statusCode = 404; // the cache is still fetching it upstream
        return res.end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      }
      const body = manifests[m[3]];
      res.statusCode = body ? 200 : 404;
      if (body) res.setHeader('Docker-Content-Digest', digestOf(body));
      return res.end(body || '');
    }
    res.statusCode = 307; // a cache miss: the upstream's CDN
    res.setHeader('Location', `${cdn.url}/${m[3]}`);
    res.end();
  });
  t.after(() => {
    registry.server.close();
    cdn.server.close();
  });
  return { registry: registry.url, seen, amd64, arm64, repo, tag };
}

// fakeECR sees the image only after `lag` calls, as the cache stores it
// asynchronously.
function fakeECR(reg, { lag = 2, never = false } = {}) {
  let calls = 0;
  const calls_ = { describe: 0 };
  return {
    calls: calls_,
    authorizationToken: async () => ({ authorizationToken: Buffer.from('AWS:secret').toString('base64'), proxyEndpoint: reg.registry }),
    describeImages: async (input) => {
      calls_.describe++;
      assert.deepStrictEqual(input, { repositoryName: reg.repo, imageIds: [{ imageTag: reg.tag }] });
      if (never || calls++ < lag) {
        const e = new Error('not yet');
        e.name = 'ImageNotFoundException';
        throw e;
      }
      return { imageDetails: [{ imageDigest: 'sha256:index' }] };
    },
    batchCheckLayerAvailability: async (input) => ({
      layers: input.layerDigests.map((d) => ({ layerDigest: d, layerAvailability: 'AVAILABLE' })),
    }),
  };
}

const deps = (ecr) => ({ ecr, fetch, sleep: async () => {}, now: Date.now, log: () => {} });

test('pulls the platform image through the cache, layers from the CDN, then waits until ECR holds it', async (t) => {
  for (const [platform, want] of [['linux/amd64', 'amd64'], ['linux/arm64', 'arm64']]) {
    const reg = await fakeRegistry(t);
    const ecr = fakeECR(reg);
    const data = await warm(deps(ecr), { RepositoryName: reg.repo, Tag: reg.tag, Platform: platform }, Date.now() + 60000);
    assert.deepStrictEqual(data, { ImageDigest: 'sha256:index', PlatformDigest: reg[want].digest, Layers: '2' });
    assert.ok(ecr.calls.describe >= 3, 'waited for the image to land in ECR');
    assert.strictEqual(reg.seen.cdnBlobs.length, 3, 'config and both layers read');
    for (const l of reg[want].layers) assert.ok(reg.seen.cdnBlobs.includes(l), `layer ${l} of ${want} read`);
    assert.ok(reg.seen.registryAuth.every((a) => a === `Basic ${Buffer.from('AWS:secret').toString('base64')}`), 'the registry gets the ECR token');
    assert.ok(reg.seen.cdnAuth.every((a) => a === ''), 'the CDN never gets the ECR token');
  }
});

test('an image without the task platform fails with what it has', async (t) => {
  const reg = await fakeRegistry(t);
  await assert.rejects(
    warm(deps(fakeECR(reg)), { RepositoryName: reg.repo, Tag: reg.tag, Platform: 'linux/s390x' }, Date.now() + 60000),
    /has no image for linux\/s390x \(it has linux\/amd64, linux\/arm64, unknown\/unknown\)/,
  );
});

test('a blob that does not match its digest fails', async (t) => {
  const reg = await fakeRegistry(t, { corrupt: true });
  await assert.rejects(warm(deps(fakeECR(reg)), { RepositoryName: reg.repo, Tag: reg.tag, Platform: 'linux/amd64' }, Date.now() + 60000), /downloaded as sha256:/);
});

test('an image that never lands in ECR fails at the deadline, saying so', async (t) => {
  const reg = await fakeRegistry(t);
  await assert.rejects(
    warm(deps(fakeECR(reg, { never: true })), { RepositoryName: reg.repo, Tag: reg.tag, Platform: 'linux/amd64' }, Date.now() + 50),
    /is not in this account's ECR yet after the pull \(missing: ImageNotFoundException\)/,
  );
});

test('an unknown repository fails with the registry answer', async (t) => {
  const reg = await fakeRegistry(t);
  await assert.rejects(
    warm(deps(fakeECR(reg)), { RepositoryName: 'other/repo', Tag: reg.tag, Platform: 'linux/amd64' }, Date.now() + 50),
    /GET other\/repo\/manifests\/stable-alpine through the pull-through cache: HTTP 404/,
  );
});

test('delete leaves the cached image alone', async () => {
  const res = await handler({ RequestType: 'Delete', PhysicalResourceId: 'x:y (linux/amd64)', ResourceProperties: {} }, {});
  assert.deepStrictEqual(res, { PhysicalResourceId: 'x:y (linux/amd64)' });
});
