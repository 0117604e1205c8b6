'use strict';
// Custom::PlaceholderImageCache: pulls the placeholder image through this
// account's ECR pull-through cache once, at deploy time, from this function,
// which runs outside the VPC, and returns only when ECR holds the image and
// every layer the task's platform needs.
//
// Why: in the endpoints mode the tasks reach ECR only. On a cache miss ECR
// may redirect their layer downloads to the upstream registry's CDN, which
// they cannot reach (aws/containers-roadmap#939), and the ECR user guide asks
// for a NAT gateway for the first pull of an image through a cache used over
// PrivateLink. After this function's pull the tasks' pull is a cache hit:
// the manifest from ECR, the layers from S3 through the gateway endpoint.
//
// The CDK's entrypoint (__entrypoint__.js) answers CloudFormation with what
// handler returns, or FAILED with the error's message.

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];

exports.handler = async (event, context) => {
  const props = event.ResourceProperties;
  if (event.RequestType === 'Delete') {
    // The cached repository is ECR's, not the stack's: it stays, like the
    // app's own repository, and a later deploy finds the image there.
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const { ECRClient, GetAuthorizationTokenCommand, DescribeImagesCommand, BatchCheckLayerAvailabilityCommand } = require('@aws-sdk/client-ecr');
  const client = new ECRClient({});
  const ecr = {
    authorizationToken: async () => (await client.send(new GetAuthorizationTokenCommand({}))).authorizationData[0],
    describeImages: (input) => client.send(new DescribeImagesCommand(input)),
    batchCheckLayerAvailability: (input) => client.send(new BatchCheckLayerAvailabilityCommand(input)),
  };
  const left = context && context.getRemainingTimeInMillis ? context.getRemainingTimeInMillis() : 600000;
  const data = await exports.warm({ ecr, fetch, sleep, now: Date.now, log: console.log }, props, Date.now() + left - 30000);
  return { PhysicalResourceId: `${props.RepositoryName}:${props.Tag} ${props.Platform}`, Data: data };
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// warm does the pull and the wait; deps are injected so that it can be
// tested without AWS: ecr (authorizationToken, describeImages,
// batchCheckLayerAvailability), fetch, sleep, now, log.
exports.warm = async (deps, props, deadline) => {
  const { RepositoryName: repo, Tag: tag, Platform: platform } = props;
  if (!repo || !tag || !platform) {
    throw new Error(`RepositoryName, Tag and Platform are required, got ${JSON.stringify(props)}`);
  }
  const auth = await deps.ecr.authorizationToken();
  const base = auth.proxyEndpoint.replace(/\/$/, '');
  const headers = { Authorization: `Basic ${auth.authorizationToken}` };

  // The first request of a tag makes ECR fetch it upstream: retry while it
  // does, until the deadline.
  const get = async (path, accept) => {
    for (let attempt = 1; ; attempt++) {
      const res = await follow(deps, `${base}/v2/${repo}/${path}`, { ...headers, ...(accept ? { Accept: accept } : {}) });
      if (res.ok) return res;
      const body = await res.text();
      if (deps.now() > deadline || (res.status < 500 && res.status !== 404 && res.status !== 429)) {
        throw new Error(`GET ${repo}/${path} through the pull-through cache: HTTP ${res.status} ${body.slice(0, 300)}`);
      }
      deps.log(`GET ${repo}/${path}: HTTP ${res.status}, retrying (attempt ${attempt})`);
      await deps.sleep(Math.min(2000 * attempt, 15000));
    }
  };

  let res = await get(`manifests/${tag}`, ACCEPT);
  let manifest = await res.json();
  const mediaType = manifest.mediaType || res.headers.get('content-type');
  let digest = res.headers.get('docker-content-digest');
  if (INDEX_TYPES.includes(mediaType)) {
    const [os, arch, variant] = platform.split('/');
    const entries = (manifest.manifests || []).filter((m) => m.platform && m.platform.os === os && m.platform.architecture === arch);
    const entry = entries.find((m) => !variant || m.platform.variant === variant) || entries[0];
    if (!entry) {
      const have = (manifest.manifests || []).map((m) => m.platform && `${m.platform.os}/${m.platform.architecture}`).join(', ');
      throw new Error(`${repo}:${tag} has no image for ${platform} (it has ${have}): the task could not run it`);
    }
    digest = entry.digest;
    res = await get(`manifests/${entry.digest}`, ACCEPT);
    manifest = await res.json();
  }
  const blobs = [manifest.config, ...(manifest.layers || [])].filter(Boolean).map((b) => b.digest);
  if (blobs.length === 0) {
    throw new Error(`${repo}:${tag}: the manifest for ${platform} names no layers: ${JSON.stringify(manifest).slice(0, 300)}`);
  }
  for (const blob of blobs) {
    // Read every byte, wherever ECR sends us: from S3 on a hit, from the
    // upstream's CDN on a miss, which this function can reach.
    const r = await get(`blobs/${blob}`);
    const got = await sha256(r);
    if (`sha256:${got}` !== blob) {
      throw new Error(`${repo}: blob ${blob} downloaded as sha256:${got}`);
    }
  }
  deps.log(`pulled ${repo}:${tag} for ${platform}: ${blobs.length} blobs`);

  // The cache stores what was pulled asynchronously: wait until ECR holds
  // the tag and every layer of the platform's image.
  const layers = (manifest.layers || []).map((l) => l.digest);
  for (let attempt = 1; ; attempt++) {
    let missing;
    try {
      const images = await deps.ecr.describeImages({ repositoryName: repo, imageIds: [{ imageTag: tag }] });
      const check = await deps.ecr.batchCheckLayerAvailability({ repositoryName: repo, layerDigests: layers });
      missing = layers.filter((l) => !(check.layers || []).some((c) => c.layerDigest === l && c.layerAvailability === 'AVAILABLE'));
      if (missing.length === 0) {
        return { ImageDigest: images.imageDetails[0].imageDigest, PlatformDigest: digest || '', Layers: String(layers.length) };
      }
    } catch (e) {
      if (e.name !== 'ImageNotFoundException' && e.name !== 'RepositoryNotFoundException') throw e;
      missing = [e.name];
    }
    if (deps.now() > deadline) {
      throw new Error(`${repo}:${tag} is not in this account's ECR yet after the pull (missing: ${missing.join(', ')}): tasks without internet could not pull it; deploy again, or pull it once from a machine with internet`);
    }
    await deps.sleep(Math.min(3000 * attempt, 20000));
  }
};

// follow GETs url, following redirects itself: the registry's credentials
// go to the registry only, never to S3's presigned URL or the CDN.
async function follow(deps, url, headers) {
  for (let hop = 0; hop < 5; hop++) {
    const res = await deps.fetch(url, { headers, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) return res;
    await res.arrayBuffer();
    const next = new URL(location, url);
    if (next.origin !== new URL(url).origin) headers = {};
    url = next.toString();
  }
  throw new Error(`too many redirects from ${url}`);
}

async function sha256(res) {
  const hash = require('crypto').createHash('sha256');
  for await (const chunk of res.body) hash.update(chunk);
  return hash.digest('hex');
}
