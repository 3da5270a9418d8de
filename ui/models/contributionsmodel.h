// How c_i = Σ_j α_ij h_j is made at the selected step: one row per source position, with its
// word, the norm of its part α_ij h_j and that part's cosine with c_i. Follows a ResultSelection.
#pragma once

#include <attnviz/analysis/statistics.h>
#include <attnviz/decoding/translate.h>

#include <QAbstractTableModel>
#include <QColor>

#include <vector>

namespace attnviz {

class ResultSelection;

class ContributionsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { WordColumn, NormColumn, CosineColumn, ColumnCount };
    enum Role { ShareRole = Qt::UserRole + 1 };

    explicit ContributionsModel(const ResultSelection *selection, QObject *parent = nullptr);

    // The colour of the norm bars (a palette's highlight), drawn at an opacity that grows with
    // the norm against the largest.
    void setBarColor(const QColor &color);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    // Qt::UserRole: the norm or cosine as a double; BackgroundRole: the bar (norm) or the
    // diverging scale (cosine), faded by the row's α against the step's largest (a word with
    // α near 0 adds nothing to c_i, whatever its direction); ShareRole: that share in [0, 1].
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    void update();

    const ResultSelection *m_selection;
    QStringList m_words;
    std::vector<Contribution> m_parts;
    std::vector<double> m_shares; // per row: α_ij / max_j α_ij
    double m_largest = 0;
    QColor m_barColor = QColor(0x30, 0x8c, 0xc6);
};

} // namespace attnviz
