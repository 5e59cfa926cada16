"""Parameter counts of every shipped recipe's network at full size, and of the ImageNet backbones.

Backbone counts equal torchvision's (VGG-16 feature extractor 14,714,688; VGG-11-BN features
9,225,984; ResNet-50 without fc 23,508,032) — tests/models/test_backbones.py asserts them.

    .venv/bin/python benchmarks/bench_parameter_counts.py
"""

from __future__ import annotations

from strokeseg.models import build_network
from strokeseg.models.backbones import ResNet50, VGGFeatures, count_parameters
from strokeseg.recipes.recipe import load_recipe, shipped_recipes

IN_CHANNELS = {"clerigues-mri-3d": 14}  # every SPES modality (7) and its mirror


def main() -> None:
    print("| backbone | parameters |\n|---|---|")
    for name, m in (
        ("VGG-16 features (torchvision vgg16.features)", VGGFeatures("vgg16")),
        ("VGG-11-BN features (torchvision vgg11_bn.features)", VGGFeatures("vgg11", batch_norm=True)),
        ("ResNet-50 trunk (torchvision resnet50 without fc)", ResNet50()),
    ):
        print(f"| {name} | {count_parameters(m):,} |")
    print("\n| recipe | network | input channels | classes | parameters |\n|---|---|---|---|---|")
    for name in shipped_recipes():
        if name.endswith("-fast"):
            continue
        r = load_recipe(name)
        n_in = IN_CHANNELS.get(name, len(r.prepare.modalities) * (2 if r.prepare.symmetric else 1) + len(r.prepare.clinical_inputs))
        net = build_network(r.train.network.name, in_channels=n_in, num_classes=r.num_classes, **r.train.network.kwargs)
        print(f"| {name} | {r.train.network.name} | {n_in} | {r.num_classes} | {count_parameters(net):,} |")


if __name__ == "__main__":
    main()
