"""A tiny corpus of three topics for tests that embed for real (a few seconds on two cores)."""

from __future__ import annotations

from datetime import UTC, datetime

from papertide.model import Paper

TOPICS = {
    "graphs": (
        "cs.LG",
        [
            ("Graph Neural Networks for Node Classification", "We propose a message passing graph neural network that aggregates neighbour features to classify nodes in citation graphs."),  # noqa: E501
            ("Scalable Graph Convolutions", "Graph convolutional networks are trained on large graphs with neighbour sampling, learning node embeddings efficiently."),  # noqa: E501
            ("Attention on Graphs", "Graph attention networks weight the messages between neighbouring nodes, improving link prediction on graphs."),  # noqa: E501
            ("Over-smoothing in Deep GNNs", "Deep graph neural networks suffer from over-smoothing of node representations; we analyse message passing depth."),  # noqa: E501
        ],
    ),
    "proteins": (
        "q-bio.BM",
        [
            ("Predicting Protein Structure from Sequence", "We predict the three-dimensional folding of proteins from their amino acid sequence with a deep model."),  # noqa: E501
            ("Protein-Ligand Binding Affinity", "Binding of small molecule ligands to protein pockets is scored from the structure of the complex."),  # noqa: E501
            ("Molecular Dynamics of Enzymes", "Simulations of enzyme folding and conformational change reveal how proteins catalyse reactions."),  # noqa: E501
            ("Designing Antibodies", "Antibody proteins are designed to bind antigens by optimising amino acid sequences for affinity."),  # noqa: E501
        ],
    ),
    "quantum": (
        "quant-ph",
        [
            ("Error Correction for Superconducting Qubits", "Surface codes protect superconducting qubits from decoherence in quantum computers."),  # noqa: E501
            ("Variational Quantum Eigensolvers", "A hybrid quantum-classical algorithm estimates ground state energies of molecules on noisy qubits."),  # noqa: E501
            ("Entanglement in Trapped Ions", "We entangle trapped ion qubits with laser pulses and measure the fidelity of quantum gates."),  # noqa: E501
            ("Quantum Advantage in Sampling", "Random circuit sampling on a quantum processor outpaces classical simulation of the qubits."),  # noqa: E501
        ],
    ),
}  # fmt: skip


def topical_papers() -> list[Paper]:
    """Twelve papers, ids 2401.00001.., four per topic, one a month from January 2024."""
    papers = []
    for category, items in TOPICS.values():
        for title, abstract in items:
            n = len(papers) + 1
            papers.append(
                Paper(
                    id=f"2401.{n:05d}",
                    title=title,
                    abstract=abstract,
                    categories=[category],
                    submitted=datetime(2024, n, 1, tzinfo=UTC),
                    source="test",
                )
            )
    return papers


def topic_of(paper_id: str) -> str:
    index = int(paper_id.split(".")[1]) - 1
    return list(TOPICS)[index // 4]
